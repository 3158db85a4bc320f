package report

import (
	"bufio"
	"encoding/csv"
	"io"

	"caseflow/internal/caseflow"
)

// bom makes spreadsheet programs read the file as UTF-8.
const bom = "\ufeff"

// WriteCSV writes the report as one CSV file: UTF-8 with a byte-order mark,
// comma-separated, its sections one after another with blank lines between.
// Every row has as many fields as the widest table, so that strict CSV
// readers take it as well as spreadsheet programs.
func WriteCSV(w io.Writer, r *caseflow.ComplianceReport) error {
	d := layout(r)
	width := 1
	for _, s := range d.sections {
		for _, t := range s.tables {
			width = max(width, len(t.head))
		}
	}
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(bom); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true // what spreadsheet programs on Windows expect
	write := func(fields ...string) {
		row := make([]string, width)
		copy(row, fields)
		_ = cw.Write(row) // errors surface through cw.Error
	}
	write(d.title)
	write(d.subtitle)
	for _, l := range d.lines {
		write(l)
	}
	for _, s := range d.sections {
		write()
		write(s.title)
		for _, t := range s.tables {
			if t.title != "" {
				write(t.title)
			}
			write(t.head...)
			for _, row := range t.rows {
				fields := make([]string, len(row))
				for i, c := range row {
					fields[i] = c.String()
				}
				write(fields...)
			}
		}
		for _, n := range s.notes {
			write(n)
		}
	}
	write()
	for _, f := range d.footer {
		write(f)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
