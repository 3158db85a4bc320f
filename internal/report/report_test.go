package report_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"caseflow/internal/caseflow"
	"caseflow/internal/report"
)

var hcm = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		panic(err)
	}
	return loc
}()

// sample is a report built by hand: a province with two districts, a few
// figures, breaches of two agencies and the 0101 breakdown.
func sample(t *testing.T) *caseflow.ComplianceReport {
	t.Helper()
	p, err := caseflow.ParsePeriod("2026-01-01", "2026-03-31", time.Now())
	require.NoError(t, err)
	figures := map[caseflow.IndicatorID]caseflow.Figure{
		caseflow.IndicatorIntake:     {Numerator: 3, Denominator: 5},
		caseflow.IndicatorResolution: {Numerator: 3, Denominator: 5},
		caseflow.IndicatorYearOnYear: {Numerator: 19, Denominator: 20},
		caseflow.IndicatorClearance:  {Numerator: 9, Denominator: 10},
	}
	results := func(m map[caseflow.IndicatorID]caseflow.Figure) []caseflow.IndicatorResult {
		var out []caseflow.IndicatorResult
		for _, ind := range caseflow.Indicators {
			out = append(out, ind.Result(m[ind.ID]))
		}
		return out
	}
	counts := func(dim string, n map[string]int64) []caseflow.Count {
		var out []caseflow.Count
		for _, k := range caseflow.BreakdownKeys[dim] {
			out = append(out, caseflow.Count{Key: k, Count: n[k]})
		}
		return out
	}
	police := caseflow.Agency{Code: "CA-325", Name: "Công an huyện Văn Lâm", Type: caseflow.AgencyPolice}
	court := caseflow.Agency{Code: "TA-326", Name: "Tòa án nhân dân huyện Văn Giang", Type: caseflow.AgencyCourt}
	resolve := caseflow.BreachCount{Clock: "resolve_report", LabelVI: "Giải quyết tin báo", LabelEN: "Resolve the report", Count: 2}
	trial := caseflow.BreachCount{Clock: "trial_preparation", LabelVI: "Chuẩn bị xét xử", LabelEN: "Trial preparation", Count: 1}
	return &caseflow.ComplianceReport{
		Period: p, AsOf: time.Date(2026, 4, 15, 12, 0, 0, 0, hcm),
		Unit:       caseflow.Unit{Code: "33", Name: "Tỉnh Hưng Yên", Level: caseflow.LevelProvince},
		Indicators: results(figures),
		Units: []caseflow.UnitResult{
			{Unit: caseflow.Unit{Code: "325", Name: "Huyện Văn Lâm", Level: caseflow.LevelDistrict}, Breaches: 2,
				Indicators: results(map[caseflow.IndicatorID]caseflow.Figure{caseflow.IndicatorResolution: {Numerator: 3, Denominator: 4}})},
			{Unit: caseflow.Unit{Code: "326", Name: "Huyện Văn Giang", Level: caseflow.LevelDistrict}, Breaches: 1,
				Indicators: results(map[caseflow.IndicatorID]caseflow.Figure{caseflow.IndicatorResolution: {Numerator: 0, Denominator: 1}})},
		},
		Agencies: []caseflow.AgencyResult{
			{Agency: police, Breaches: []caseflow.BreachCount{resolve},
				Indicators: []caseflow.IndicatorResult{caseflow.Indicators[1].Result(caseflow.Figure{Numerator: 3, Denominator: 4})}},
			{Agency: court, Breaches: []caseflow.BreachCount{trial}},
		},
		Breaches: []caseflow.BreachCount{resolve, trial},
		Children: caseflow.ChildBreakdown{Total: 4,
			BySex:       counts("sex", map[string]int64{"female": 3, "male": 1}),
			ByAgeGroup:  counts("age_group", map[string]int64{"0-5": 1, "6-10": 1, "16-17": 1, "unknown": 1}),
			BySetting:   counts("setting", map[string]int64{"family": 1, "school": 2, "online": 1}),
			ByAbuseType: counts("abuse_type", map[string]int64{"sexual": 2, "physical": 3, "online": 1})},
	}
}

// trimRows drops the empty fields that pad CSV rows to one width.
func trimRows(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		n := len(r)
		for n > 0 && r[n-1] == "" {
			n--
		}
		out[i] = r[:n]
	}
	return out
}

// rowStarting finds the row whose first cell is first and returns it.
func rowStarting(rows [][]string, first string) []string {
	for _, r := range rows {
		if len(r) > 0 && r[0] == first {
			return r
		}
	}
	return nil
}

// rowWith finds the row that has cell at column col.
func rowWith(rows [][]string, col int, cell string) []string {
	for _, r := range rows {
		if len(r) > col && r[col] == cell {
			return r
		}
	}
	return nil
}

func TestCSV(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, report.WriteCSV(&buf, sample(t)))
	raw := buf.Bytes()
	require.True(t, bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")), "starts with the UTF-8 byte-order mark")

	r := csv.NewReader(bytes.NewReader(raw[3:]))
	rows, err := r.ReadAll()
	require.NoError(t, err, "every row has the same number of fields")
	rows = trimRows(rows)

	t.Run("TitleUnitPeriod", func(t *testing.T) {
		require.Equal(t, report.Title, rows[0][0])
		require.NotNil(t, rowStarting(rows, "Đơn vị: Tỉnh Hưng Yên (mã 33)"))
		require.NotNil(t, rowStarting(rows, "Kỳ báo cáo: từ ngày 01/01/2026 đến ngày 31/03/2026"))
		require.NotNil(t, rowStarting(rows, "Số liệu tính đến: 12:00 ngày 15/04/2026 (giờ Việt Nam)"))
	})

	t.Run("IndicatorTable", func(t *testing.T) {
		require.Equal(t, []string{"STT", "Chỉ tiêu", "Tử số", "Mẫu số", "Kết quả", "Chỉ tiêu kế hoạch", "Đánh giá", "Cách tính"},
			rowStarting(rows, "STT"))
		res := rowWith(rows, 1, "Tỷ lệ giải quyết tin báo về tội phạm")
		require.Equal(t, []string{"2", "Tỷ lệ giải quyết tin báo về tội phạm", "3", "5", "60,0%", "> 95%", "Không đạt"}, res[:7])
		clear := rowWith(rows, 1, "Tỷ lệ điều tra khám phá")
		require.Equal(t, []string{"9", "10", "90,0%", "> 80%", "Đạt"}, clear[2:7])
		yoy := rowWith(rows, 1, "Số vụ phạm tội xâm hại trẻ em so với cùng kỳ năm trước")
		require.Equal(t, []string{"19", "20", "-5,0%", "Giảm 5–7%", "Đạt"}, yoy[2:7], "a fall of exactly 5% meets the target")
		none := rowWith(rows, 1, "Tỷ lệ truy tố đúng tội danh")
		require.Equal(t, []string{"0", "0", "—", "100%", "Chưa có số liệu"}, none[2:7], "no data is neither 0% nor 100%")
		require.Equal(t, "Chưa có số liệu", rowWith(rows, 1, "Tỷ lệ áp dụng biện pháp khẩn cấp trong 12 giờ")[6])
	})

	t.Run("UnitsBreachesAndChildren", func(t *testing.T) {
		van := rowStarting(rows, "Huyện Văn Lâm")
		require.NotNil(t, van)
		require.Equal(t, "75,0% (3/4)", van[2])
		require.Equal(t, "2", van[len(van)-1])
		require.Equal(t, []string{"Thời hạn", "Số vụ quá hạn"}, rowStarting(rows, "Thời hạn"))
		require.Equal(t, []string{"Giải quyết tin báo", "2"}, rowStarting(rows, "Giải quyết tin báo"))
		require.Equal(t, []string{"Tổng cộng", "3"}, rowStarting(rows, "Tổng cộng"))
		require.Equal(t, []string{"Công an huyện Văn Lâm", "Giải quyết tin báo", "2"}, rowWith(rows, 1, "Giải quyết tin báo"))
		require.Equal(t, []string{"Tòa án nhân dân huyện Văn Giang", "Chuẩn bị xét xử", "1"}, rowWith(rows, 1, "Chuẩn bị xét xử"))
		require.NotNil(t, rowStarting(rows, "V. TRẺ EM BỊ XÂM HẠI (CHỈ TIÊU 0101, THÔNG TƯ 13/2021/TT-BLĐTBXH)"))
		require.Equal(t, []string{"Nữ", "3"}, rowStarting(rows, "Nữ"))
		require.Equal(t, []string{"Từ 16 đến dưới 18 tuổi", "1"}, rowStarting(rows, "Từ 16 đến dưới 18 tuổi"))
		require.Equal(t, []string{"Trường học", "2"}, rowStarting(rows, "Trường học"))
		require.Equal(t, []string{"Bạo lực thể chất", "3"}, rowStarting(rows, "Bạo lực thể chất"))
	})

	t.Run("DiacriticsAreUTF8NotMojibake", func(t *testing.T) {
		s := string(raw)
		for _, w := range []string{"Tỉnh Hưng Yên", "Không đạt", "Tòa án nhân dân huyện Văn Giang", "Xâm hại tình dục"} {
			require.Contains(t, s, w)
		}
		require.NotContains(t, s, "Ã", "no double-encoded UTF-8")
	})
}

func TestXLSX(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, report.WriteXLSX(&buf, sample(t)))
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []string{report.SheetReport, report.SheetUnits}, f.GetSheetList())

	rows, err := f.GetRows(report.SheetReport)
	require.NoError(t, err)
	require.Equal(t, report.Title, rows[0][0])
	require.NotNil(t, rowStarting(rows, "Đơn vị: Tỉnh Hưng Yên (mã 33)"))
	require.NotNil(t, rowStarting(rows, "Kỳ báo cáo: từ ngày 01/01/2026 đến ngày 31/03/2026"))

	t.Run("IndicatorsAreNumbersWithPercentFormat", func(t *testing.T) {
		require.Equal(t, []string{"STT", "Chỉ tiêu", "Tử số", "Mẫu số", "Kết quả", "Chỉ tiêu kế hoạch", "Đánh giá", "Cách tính"},
			rowStarting(rows, "STT"))
		i := slices.IndexFunc(rows, func(r []string) bool {
			return len(r) > 1 && r[1] == "Tỷ lệ giải quyết tin báo về tội phạm"
		})
		require.Positive(t, i)
		res := rows[i]
		require.Equal(t, []string{"3", "5", "60.0%", "> 95%", "Không đạt"}, res[2:7], "as shown")
		raw, err := f.GetCellValue(report.SheetReport, cellName(t, 5, i+1), excelize.Options{RawCellValue: true})
		require.NoError(t, err)
		require.Equal(t, "0.6", raw, "stored as a number")
		typ, err := f.GetCellType(report.SheetReport, cellName(t, 3, i+1))
		require.NoError(t, err)
		require.NotEqual(t, excelize.CellTypeSharedString, typ, "counts are numbers")
		yoy := rowWith(rows, 1, "Số vụ phạm tội xâm hại trẻ em so với cùng kỳ năm trước")
		require.Equal(t, []string{"19", "20", "-5.0%", "Giảm 5–7%", "Đạt"}, yoy[2:7])
		require.Equal(t, "Chưa có số liệu", rowWith(rows, 1, "Tỷ lệ truy tố đúng tội danh")[6])
	})

	t.Run("BreachesAndChildren", func(t *testing.T) {
		require.Equal(t, []string{"Công an huyện Văn Lâm", "Giải quyết tin báo", "2"}, rowWith(rows, 1, "Giải quyết tin báo"))
		require.Equal(t, []string{"Tổng cộng", "3"}, rowStarting(rows, "Tổng cộng"))
		require.Equal(t, []string{"Nữ", "3"}, rowStarting(rows, "Nữ"))
		require.Equal(t, []string{"Xâm hại tình dục", "2"}, rowStarting(rows, "Xâm hại tình dục"))
		found := false
		for _, r := range rows {
			found = found || (len(r) > 0 && strings.HasPrefix(r[0], "Tổng số trẻ em (dưới 16 tuổi) bị xâm hại") && strings.HasSuffix(r[0], ": 4"))
		}
		require.True(t, found)
	})

	t.Run("UnitsSheet", func(t *testing.T) {
		units, err := f.GetRows(report.SheetUnits)
		require.NoError(t, err)
		head := rowStarting(units, "Đơn vị")
		require.NotNil(t, head)
		require.Equal(t, "Tỷ lệ tin báo được cơ quan công an thụ lý", head[1])
		require.Equal(t, "Số vụ quá hạn", head[len(head)-1])
		require.Equal(t, "0,0% (0/1)", rowStarting(units, "Huyện Văn Giang")[2])
	})
}

func TestCommuneReportHasNoUnitSheet(t *testing.T) {
	r := sample(t)
	r.Unit = caseflow.Unit{Code: "12005", Name: "Thị trấn Như Quỳnh", Level: caseflow.LevelCommune}
	r.Units, r.Agencies, r.Breaches = nil, nil, nil
	var buf bytes.Buffer
	require.NoError(t, report.WriteXLSX(&buf, r))
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []string{report.SheetReport}, f.GetSheetList())
	rows, err := f.GetRows(report.SheetReport)
	require.NoError(t, err)
	require.Equal(t, []string{"Không có vụ quá hạn", "", "0"}, rowStarting(rows, "Không có vụ quá hạn"))

	buf.Reset()
	require.NoError(t, report.WriteCSV(&buf, r))
	require.Contains(t, buf.String(), "Đơn vị: Thị trấn Như Quỳnh (mã 12005)")
	require.NotContains(t, buf.String(), "II. KẾT QUẢ THEO ĐƠN VỊ TRỰC THUỘC")
}

func cellName(t *testing.T, col, row int) string {
	t.Helper()
	c, err := excelize.CoordinatesToCellName(col, row)
	require.NoError(t, err)
	return c
}

func TestTheReportSaysHowFormerUnitsAreCounted(t *testing.T) {
	r := sample(t)
	r.Structure = "2025"
	r.Split = []caseflow.UnitMapping{{From: caseflow.Unit{Code: "12004", Name: "Xã Đình Dù"},
		To: caseflow.Unit{Code: "12004", Name: "Xã Như Quỳnh"}, Portion: "partial"}}
	r.Unplaced = []caseflow.Unit{{Code: "12082", Name: "Xã Việt Cường"}}
	var buf bytes.Buffer
	require.NoError(t, report.WriteCSV(&buf, r))
	out := buf.String()
	require.Contains(t, out, "Số liệu theo đơn vị hành chính của cấu trúc 2025")
	require.Contains(t, out, "Xã Đình Dù (mã 12004) được chia cho nhiều đơn vị; vụ việc của đơn vị này được tính vào Xã Như Quỳnh (mã 12004), đơn vị nhận phần chính (chưa được xác minh).")
	require.Contains(t, out, "chỉ tính vào tổng số của tỉnh: Xã Việt Cường (mã 12082).")

	r.Structure, r.Split, r.Unplaced = "", nil, nil
	buf.Reset()
	require.NoError(t, report.WriteCSV(&buf, r))
	require.NotContains(t, buf.String(), "cấu trúc")
}
