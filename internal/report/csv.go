package report

import (
	"bufio"
	"encoding/csv"
	"fmt"
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
		return fmt.Errorf("report: writing csv: %w", err)
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true // what spreadsheet programs on Windows expect
	// werr is the first failed write; the rows after it are not written.
	var werr error
	write := func(fields ...string) {
		if werr != nil {
			return
		}
		row := make([]string, width)
		copy(row, fields)
		werr = cw.Write(row)
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
	if werr != nil {
		return fmt.Errorf("report: writing csv: %w", werr)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: writing csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: writing csv: %w", err)
	}
	return nil
}
