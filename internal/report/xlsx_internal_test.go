package report

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// These tests write to a sheet the workbook does not have, the simplest way
// to make excelize's setters fail, to show that their errors are returned
// with the sheet and cell they concern.

func missingSheet(t *testing.T) *sheet {
	t.Helper()
	f := excelize.NewFile()
	t.Cleanup(func() { require.NoError(t, f.Close()) })
	st, err := newStyles(f)
	require.NoError(t, err)
	return &sheet{f: f, name: "Không có", st: st, row: 3}
}

func requireSheetNotExist(t *testing.T, err error, where string) {
	t.Helper()
	var missing excelize.ErrSheetNotExist
	require.ErrorAs(t, err, &missing)
	require.Contains(t, err.Error(), `sheet "Không có": `+where)
}

func TestSetterErrorsAreReturned(t *testing.T) {
	t.Parallel()

	t.Run("LineNamesSheetAndCell", func(t *testing.T) {
		t.Parallel()
		x := missingSheet(t)
		requireSheetNotExist(t, x.line("tiêu đề", x.st.title), "cell A3")
		require.Equal(t, 3, x.row, "a failed line takes no row")
	})

	t.Run("TableHeadingNamesSheetAndCell", func(t *testing.T) {
		t.Parallel()
		x := missingSheet(t)
		requireSheetNotExist(t, x.table(table{head: []string{"Thời hạn", "Số vụ"}}), "cell A3")
	})

	t.Run("ColumnWidthNamesSheetAndColumn", func(t *testing.T) {
		t.Parallel()
		x := missingSheet(t)
		requireSheetNotExist(t, setColWidth(x.f, x.name, 2, 10), "width of column B")
	})

	t.Run("ColumnOutOfRangeIsAnError", func(t *testing.T) {
		t.Parallel()
		x := missingSheet(t)
		require.ErrorContains(t, setColWidth(x.f, SheetReport, 0, 10), "column 0")
		_, err := x.cell(excelize.MaxColumns + 1)
		require.ErrorContains(t, err, "row 3, column 16385")
	})
}
