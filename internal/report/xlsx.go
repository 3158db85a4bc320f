package report

import (
	"io"

	"github.com/xuri/excelize/v2"

	"caseflow/internal/caseflow"
)

// Sheet names of the XLSX report.
const (
	SheetReport = "Báo cáo"
	SheetUnits  = "Theo đơn vị"
)

// WriteXLSX writes the report as an XLSX workbook: the whole report on the
// "Báo cáo" sheet, and the wide table of units below the reported one again
// on "Theo đơn vị" for sorting and filtering. Counts are numbers and
// results are percentages, so that the figures can be worked with.
func WriteXLSX(w io.Writer, r *caseflow.ComplianceReport) error {
	d := layout(r)
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", SheetReport); err != nil {
		return err
	}
	_ = f.SetDocProps(&excelize.DocProperties{Title: d.title, Creator: "caseflow", Language: "vi-VN"})

	x := &sheet{f: f, name: SheetReport, st: st, row: 1}
	x.line(d.title, st.title)
	x.line(d.subtitle, st.italic)
	for _, l := range d.lines {
		x.line(l, 0)
	}
	widths := map[int]float64{}
	for _, s := range d.sections {
		x.row++
		x.line(s.title, st.section)
		for _, t := range s.tables {
			if len(s.tables) > 1 || t.title != "" {
				x.line(t.title, st.bold)
			}
			if err := x.table(t); err != nil {
				return err
			}
			for i, wd := range t.widths {
				if !s.wide && wd > widths[i] { // the wide unit table has a sheet of its own
					widths[i] = wd
				}
			}
		}
		for _, n := range s.notes {
			x.line(n, st.italic)
		}
	}
	x.row++
	for _, l := range d.footer {
		x.line(l, st.italic)
	}
	for i, wd := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(SheetReport, col, col, wd); err != nil {
			return err
		}
	}

	for _, s := range d.sections {
		if !s.wide {
			continue
		}
		if _, err := f.NewSheet(SheetUnits); err != nil {
			return err
		}
		u := &sheet{f: f, name: SheetUnits, st: st, row: 1}
		u.line(s.title+" — "+r.Unit.Name, st.section)
		u.line(d.lines[1], 0)
		if err := u.table(s.tables[0]); err != nil {
			return err
		}
		for i, wd := range s.tables[0].widths {
			col, _ := excelize.ColumnNumberToName(i + 1)
			if err := f.SetColWidth(SheetUnits, col, col, wd); err != nil {
				return err
			}
		}
		_ = f.SetPanes(SheetUnits, &excelize.Panes{Freeze: true, XSplit: 1, YSplit: 3, TopLeftCell: "B4", ActivePane: "bottomRight"})
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

type styles struct {
	title, italic, section, bold, head, text, count, percent, signed int
}

func newStyles(f *excelize.File) (*styles, error) {
	border := []excelize.Border{{Type: "left", Color: "808080", Style: 1}, {Type: "right", Color: "808080", Style: 1},
		{Type: "top", Color: "808080", Style: 1}, {Type: "bottom", Color: "808080", Style: 1}}
	pct, signed := "0.0%", "+0.0%;-0.0%;0.0%"
	st := &styles{}
	type def struct {
		dst *int
		s   excelize.Style
	}
	for _, d := range []def{
		{&st.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&st.italic, excelize.Style{Font: &excelize.Font{Italic: true}}},
		{&st.section, excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}}},
		{&st.bold, excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&st.head, excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "center", Horizontal: "center"}}},
		{&st.text, excelize.Style{Border: border, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&st.count, excelize.Style{Border: border, NumFmt: 3}},
		{&st.percent, excelize.Style{Border: border, CustomNumFmt: &pct}},
		{&st.signed, excelize.Style{Border: border, CustomNumFmt: &signed}},
	} {
		id, err := f.NewStyle(&d.s)
		if err != nil {
			return nil, err
		}
		*d.dst = id
	}
	return st, nil
}

// sheet writes rows down a worksheet.
type sheet struct {
	f    *excelize.File
	name string
	st   *styles
	row  int
}

func (x *sheet) cell(col int) string {
	c, _ := excelize.CoordinatesToCellName(col, x.row)
	return c
}

// line writes one line of text in the first column.
func (x *sheet) line(s string, style int) {
	_ = x.f.SetCellValue(x.name, x.cell(1), s)
	if style != 0 {
		_ = x.f.SetCellStyle(x.name, x.cell(1), x.cell(1), style)
	}
	x.row++
}

// table writes a table's headings and rows, with typed cells.
func (x *sheet) table(t table) error {
	for i, h := range t.head {
		if err := x.f.SetCellValue(x.name, x.cell(i+1), h); err != nil {
			return err
		}
	}
	if err := x.f.SetCellStyle(x.name, x.cell(1), x.cell(len(t.head)), x.st.head); err != nil {
		return err
	}
	x.row++
	for _, r := range t.rows {
		for i, c := range r {
			ref := x.cell(i + 1)
			var err error
			style := x.st.text
			switch {
			case c.count != nil:
				err, style = x.f.SetCellInt(x.name, ref, *c.count), x.st.count
			case c.percent != nil:
				style = x.st.percent
				if c.signed {
					style = x.st.signed
				}
				err = x.f.SetCellFloat(x.name, ref, *c.percent, -1, 64)
			default:
				err = x.f.SetCellValue(x.name, ref, c.text)
			}
			if err != nil {
				return err
			}
			if err := x.f.SetCellStyle(x.name, ref, ref, style); err != nil {
				return err
			}
		}
		x.row++
	}
	return nil
}
