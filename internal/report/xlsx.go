package report

import (
	"fmt"
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
func WriteXLSX(w io.Writer, r *caseflow.ComplianceReport) (err error) {
	d := layout(r)
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("report: closing the workbook: %w", cerr)
		}
	}()
	if err := buildXLSX(f, d, r.Unit.Name); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("report: writing xlsx: %w", err)
	}
	return nil
}

// buildXLSX lays the document out in the workbook; unitName is the name of
// the reported unit, for the title of the units sheet.
func buildXLSX(f *excelize.File, d document, unitName string) error {
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", SheetReport); err != nil {
		return fmt.Errorf("naming sheet %q: %w", SheetReport, err)
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: d.title, Creator: "caseflow", Language: "vi-VN"}); err != nil {
		return fmt.Errorf("document properties: %w", err)
	}
	if err := reportSheet(f, st, d); err != nil {
		return err
	}
	for _, s := range d.sections {
		if !s.wide {
			continue
		}
		if err := unitsSheet(f, st, d, s, unitName); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	return nil
}

// reportSheet writes the whole document on the report sheet.
func reportSheet(f *excelize.File, st *styles, d document) error {
	x := &sheet{f: f, name: SheetReport, st: st, row: 1}
	if err := x.line(d.title, st.title); err != nil {
		return err
	}
	if err := x.line(d.subtitle, st.italic); err != nil {
		return err
	}
	for _, l := range d.lines {
		if err := x.line(l, 0); err != nil {
			return err
		}
	}
	widths := map[int]float64{}
	for _, s := range d.sections {
		x.row++
		if err := x.line(s.title, st.section); err != nil {
			return err
		}
		for _, t := range s.tables {
			if len(s.tables) > 1 || t.title != "" {
				if err := x.line(t.title, st.bold); err != nil {
					return err
				}
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
			if err := x.line(n, st.italic); err != nil {
				return err
			}
		}
	}
	x.row++
	for _, l := range d.footer {
		if err := x.line(l, st.italic); err != nil {
			return err
		}
	}
	for i, wd := range widths {
		if err := setColWidth(f, SheetReport, i+1, wd); err != nil {
			return err
		}
	}
	return nil
}

// unitsSheet writes the wide table of units s on a sheet of its own, with
// the unit names and headings frozen.
func unitsSheet(f *excelize.File, st *styles, d document, s section, unitName string) error {
	if _, err := f.NewSheet(SheetUnits); err != nil {
		return fmt.Errorf("adding sheet %q: %w", SheetUnits, err)
	}
	u := &sheet{f: f, name: SheetUnits, st: st, row: 1}
	if err := u.line(s.title+" — "+unitName, st.section); err != nil {
		return err
	}
	if err := u.line(d.lines[1], 0); err != nil {
		return err
	}
	if err := u.table(s.tables[0]); err != nil {
		return err
	}
	for i, wd := range s.tables[0].widths {
		if err := setColWidth(f, SheetUnits, i+1, wd); err != nil {
			return err
		}
	}
	if err := f.SetPanes(SheetUnits, &excelize.Panes{Freeze: true, XSplit: 1, YSplit: 3, TopLeftCell: "B4", ActivePane: "bottomRight"}); err != nil {
		return fmt.Errorf("sheet %q: freezing panes: %w", SheetUnits, err)
	}
	return nil
}

// setColWidth sets the width of column col (from 1) of a sheet.
func setColWidth(f *excelize.File, sheet string, col int, width float64) error {
	name, err := excelize.ColumnNumberToName(col)
	if err != nil {
		return fmt.Errorf("sheet %q: column %d: %w", sheet, col, err)
	}
	if err := f.SetColWidth(sheet, name, name, width); err != nil {
		return fmt.Errorf("sheet %q: width of column %s: %w", sheet, name, err)
	}
	return nil
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
			return nil, fmt.Errorf("cell style: %w", err)
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

// cell is the reference of column col (from 1) in the current row.
func (x *sheet) cell(col int) (string, error) {
	c, err := excelize.CoordinatesToCellName(col, x.row)
	if err != nil {
		return "", fmt.Errorf("sheet %q: row %d, column %d: %w", x.name, x.row, col, err)
	}
	return c, nil
}

// set writes a value in one cell, with style unless it is 0.
func (x *sheet) set(ref string, v any, style int) error {
	var err error
	switch v := v.(type) {
	case int64:
		err = x.f.SetCellInt(x.name, ref, v)
	case float64:
		err = x.f.SetCellFloat(x.name, ref, v, -1, 64)
	default:
		err = x.f.SetCellValue(x.name, ref, v)
	}
	if err != nil {
		return fmt.Errorf("sheet %q: cell %s: %w", x.name, ref, err)
	}
	if style == 0 {
		return nil
	}
	if err := x.f.SetCellStyle(x.name, ref, ref, style); err != nil {
		return fmt.Errorf("sheet %q: style of cell %s: %w", x.name, ref, err)
	}
	return nil
}

// line writes one line of text in the first column.
func (x *sheet) line(s string, style int) error {
	ref, err := x.cell(1)
	if err != nil {
		return err
	}
	if err := x.set(ref, s, style); err != nil {
		return err
	}
	x.row++
	return nil
}

// table writes a table's headings and rows, with typed cells.
func (x *sheet) table(t table) error {
	for i, h := range t.head {
		ref, err := x.cell(i + 1)
		if err != nil {
			return err
		}
		if err := x.set(ref, h, 0); err != nil {
			return err
		}
	}
	first, err := x.cell(1)
	if err != nil {
		return err
	}
	last, err := x.cell(len(t.head))
	if err != nil {
		return err
	}
	if err := x.f.SetCellStyle(x.name, first, last, x.st.head); err != nil {
		return fmt.Errorf("sheet %q: style of headings %s:%s: %w", x.name, first, last, err)
	}
	x.row++
	for _, r := range t.rows {
		for i, c := range r {
			ref, err := x.cell(i + 1)
			if err != nil {
				return err
			}
			var v any = c.text
			style := x.st.text
			switch {
			case c.count != nil:
				v, style = *c.count, x.st.count
			case c.percent != nil:
				v, style = *c.percent, x.st.percent
				if c.signed {
					style = x.st.signed
				}
			}
			if err := x.set(ref, v, style); err != nil {
				return err
			}
		}
		x.row++
	}
	return nil
}
