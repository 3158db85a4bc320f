package report

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"caseflow/internal/caseflow"
)

// The report as a document a provincial office files: the layout of an
// administrative document of Decree 30/2020/NĐ-CP (Phụ lục I) — the issuing
// body and the number on the left, the national name and motto on the
// right, place and date, the kind of document and its summary, the body,
// the recipients and the signature block — in DejaVu Serif, embedded, which
// has every Vietnamese glyph.

//go:embed fonts/DejaVuSerif.ttf fonts/DejaVuSerif-Bold.ttf fonts/DejaVuSerif-Italic.ttf
var fonts embed.FS

// Letterhead is what the document says about who issues it and to whom.
type Letterhead struct {
	// Superior is the body above the issuing one ("UBND TỈNH HƯNG YÊN"),
	// Issuer the issuing body ("BAN CHỈ ĐẠO CÔNG TÁC TRẺ EM").
	Superior string
	Issuer   string
	// Symbol is the document's number and symbol, left for the clerk to
	// fill in ("Số:     /BC-BCĐ").
	Symbol string
	// Place is the place name before the date ("Hưng Yên").
	Place string
	// Signer is the signature block's lines ("TM. BAN CHỈ ĐẠO", "TRƯỞNG BAN").
	Signer []string
	// Recipients are the "Nơi nhận" list.
	Recipients []string
}

// DefaultLetterhead is the letterhead of a report by the province's steering
// board on child protection, to the People's Council and the ministry.
func DefaultLetterhead(r *caseflow.ComplianceReport) Letterhead {
	return Letterhead{
		Superior: "ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN",
		Issuer:   "BAN CHỈ ĐẠO CÔNG TÁC TRẺ EM",
		Symbol:   "Số:        /BC-BCĐ",
		Place:    "Hưng Yên",
		Signer:   []string{"TM. BAN CHỈ ĐẠO", "TRƯỞNG BAN"},
		Recipients: []string{"Hội đồng nhân dân tỉnh;", "Bộ Y tế (Cục Bà mẹ và Trẻ em);", "Ủy ban nhân dân tỉnh;",
			"Các thành viên Ban Chỉ đạo;", "Lưu: VT."},
	}
}

// WritePDF writes the report as an administrative document.
func WritePDF(w io.Writer, r *caseflow.ComplianceReport, lh Letterhead) error {
	d := layout(r)
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(25, 20, 15) // Decree 30: left 30–35 mm, right 15–20 mm; 25 leaves room for wide tables
	pdf.SetAutoPageBreak(true, 20)
	for _, f := range []struct{ style, file string }{{"", "DejaVuSerif.ttf"}, {"B", "DejaVuSerif-Bold.ttf"}, {"I", "DejaVuSerif-Italic.ttf"}} {
		raw, err := fonts.ReadFile("fonts/" + f.file)
		if err != nil {
			return err
		}
		pdf.AddUTF8FontFromBytes("serif", f.style, raw)
	}
	pdf.SetTitle(d.title, true)
	pdf.SetAuthor(lh.Issuer, true)
	pdf.SetCreator("caseflow", true)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("serif", "", 8)
		pdf.CellFormat(0, 5, fmt.Sprintf("%d/{nb}", pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	letterhead(pdf, r, lh)

	pdf.Ln(6)
	pdf.SetFont("serif", "B", 13)
	pdf.CellFormat(0, 7, "BÁO CÁO", "", 1, "C", false, 0, "")
	pdf.SetFont("serif", "B", 12)
	pdf.MultiCell(0, 6, "Kết quả thực hiện các chỉ tiêu về phòng, chống xâm hại trẻ em", "", "C", false)
	pdf.SetFont("serif", "I", 11)
	pdf.MultiCell(0, 5.5, strings.Trim(d.subtitle, "()"), "", "C", false)
	pdf.Ln(3)
	pdf.SetFont("serif", "", 11)
	for _, l := range d.lines {
		pdf.MultiCell(0, 5.5, l, "", "L", false)
	}
	for _, s := range d.sections {
		if s.wide {
			pdf.AddPageFormat("L", pdf.GetPageSizeStr("A4"))
		}
		pdf.Ln(3)
		pdf.SetFont("serif", "B", 11)
		pdf.MultiCell(0, 6, s.title, "", "L", false)
		for _, t := range s.tables {
			pdfTable(pdf, t, s.wide)
		}
		pdf.SetFont("serif", "I", 9.5)
		for _, n := range s.notes {
			pdf.MultiCell(0, 4.8, n, "", "L", false)
		}
		if s.wide {
			pdf.AddPageFormat("P", pdf.GetPageSizeStr("A4"))
		}
	}
	pdf.Ln(2)
	pdf.SetFont("serif", "I", 9.5)
	for _, f := range d.footer {
		pdf.MultiCell(0, 4.8, f, "", "L", false)
	}
	closing(pdf, lh)
	if err := pdf.Error(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// letterhead draws the two columns above the title.
func letterhead(pdf *fpdf.Fpdf, r *caseflow.ComplianceReport, lh Letterhead) {
	left, _, right, _ := pdf.GetMargins()
	pw, _ := pdf.GetPageSize()
	width := pw - left - right
	lw, rw := width*0.46, width*0.54
	y := pdf.GetY()

	pdf.SetXY(left, y)
	pdf.SetFont("serif", "", 10)
	pdf.MultiCell(lw, 5, lh.Superior, "", "C", false)
	pdf.SetX(left)
	pdf.SetFont("serif", "B", 10)
	pdf.MultiCell(lw, 5, lh.Issuer, "", "C", false)
	underline(pdf, left+lw/2, pdf.GetY()+0.5, 18)
	pdf.Ln(2)
	pdf.SetX(left)
	pdf.SetFont("serif", "", 11)
	pdf.MultiCell(lw, 5.5, lh.Symbol, "", "C", false)
	leftEnd := pdf.GetY()

	pdf.SetXY(left+lw, y)
	pdf.SetFont("serif", "B", 10)
	pdf.MultiCell(rw, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", "C", false)
	pdf.SetX(left + lw)
	pdf.SetFont("serif", "B", 11)
	pdf.MultiCell(rw, 5.5, "Độc lập - Tự do - Hạnh phúc", "", "C", false)
	underline(pdf, left+lw+rw/2, pdf.GetY()+0.5, 56)
	pdf.Ln(2)
	pdf.SetX(left + lw)
	pdf.SetFont("serif", "I", 11)
	at := r.AsOf.In(caseflow.Zone)
	pdf.MultiCell(rw, 5.5, fmt.Sprintf("%s, ngày %02d tháng %02d năm %d", lh.Place, at.Day(), int(at.Month()), at.Year()), "", "C", false)
	pdf.SetY(max(leftEnd, pdf.GetY()))
}

// underline draws a line of the given length centred at x.
func underline(pdf *fpdf.Fpdf, x, y, length float64) {
	pdf.SetLineWidth(0.3)
	pdf.Line(x-length/2, y, x+length/2, y)
}

// pdfTable draws a table, its columns scaled from the XLSX widths to the
// page, each row as tall as its tallest cell.
func pdfTable(pdf *fpdf.Fpdf, t table, wide bool) {
	left, _, right, _ := pdf.GetMargins()
	pw, _ := pdf.GetPageSize()
	width := pw - left - right
	total := 0.0
	for _, w := range t.widths {
		total += w
	}
	// The widths are in characters; a narrow table keeps its own width
	// (about 2.2 mm a character), a wide one fills the page.
	scale := min(width/total, 2.2)
	ws := make([]float64, len(t.head))
	for i := range ws {
		w := 10.0
		if i < len(t.widths) {
			w = t.widths[i]
		}
		ws[i] = w * scale
	}
	size := 9.0
	if wide || len(t.head) > 7 {
		size = 7.0
	}
	fitColumns(pdf, t, ws, size)
	if t.title != "" {
		pdf.SetFont("serif", "I", 10)
		pdf.MultiCell(0, 5.5, t.title, "", "L", false)
	}
	row := func(cells []string, style string, fill bool) {
		pdf.SetFont("serif", style, size)
		lh := size * 0.5
		lines := 1
		split := make([][]string, len(cells))
		for i, c := range cells {
			split[i] = pdf.SplitText(c, ws[i]-2)
			lines = max(lines, len(split[i]))
		}
		h := float64(lines)*lh + 2
		_, ph := pdf.GetPageSize()
		_, _, _, bottom := pdf.GetMargins()
		if pdf.GetY()+h > ph-bottom {
			pdf.AddPage()
		}
		x, y := pdf.GetX(), pdf.GetY()
		for i := range cells {
			if fill {
				pdf.SetFillColor(235, 235, 235)
				pdf.Rect(x, y, ws[i], h, "FD")
			} else {
				pdf.Rect(x, y, ws[i], h, "D")
			}
			align := "L"
			if i > 0 && isNumber(cells[i]) {
				align = "R"
			}
			for j, l := range split[i] {
				pdf.SetXY(x+1, y+1+float64(j)*lh)
				pdf.CellFormat(ws[i]-2, lh, l, "", 0, align, false, 0, "")
			}
			x += ws[i]
		}
		pdf.SetXY(left, y+h)
	}
	pdf.SetX(left)
	row(t.head, "B", true)
	for _, r := range t.rows {
		cells := make([]string, len(t.head))
		for i := range cells {
			if i < len(r) {
				cells[i] = r[i].String()
			}
		}
		row(cells, "", false)
	}
	pdf.Ln(1.5)
}

// fitColumns widens each column to hold its longest word, taking the room
// from the columns that have more than they need.
func fitColumns(pdf *fpdf.Fpdf, t table, ws []float64, size float64) {
	need := make([]float64, len(ws))
	measure := func(i int, s string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont("serif", style, size)
		for _, w := range strings.Fields(s) {
			need[i] = max(need[i], pdf.GetStringWidth(w)+5) // the 1 mm padding each side, and SplitText's cell margins
		}
	}
	for i, h := range t.head {
		measure(i, h, true)
	}
	for _, r := range t.rows {
		for i := range ws {
			if i < len(r) {
				measure(i, r[i].String(), false)
			}
		}
	}
	for pass := 0; pass < 3; pass++ {
		short, spare := 0.0, 0.0
		for i := range ws {
			if ws[i] < need[i] {
				short += need[i] - ws[i]
			} else {
				spare += ws[i] - need[i]
			}
		}
		if short == 0 || spare == 0 {
			return
		}
		take := min(short, spare) / spare
		for i := range ws {
			if ws[i] < need[i] {
				ws[i] += (need[i] - ws[i]) * min(1, spare/short)
			} else {
				ws[i] -= (ws[i] - need[i]) * take
			}
		}
	}
}

func isNumber(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789,%+-−", r) {
			return false
		}
	}
	return true
}

// closing draws the recipients on the left and the signature block on the
// right.
func closing(pdf *fpdf.Fpdf, lh Letterhead) {
	left, _, right, _ := pdf.GetMargins()
	pw, ph := pdf.GetPageSize()
	if pdf.GetY() > ph-80 {
		pdf.AddPage()
	}
	width := pw - left - right
	pdf.Ln(6)
	y := pdf.GetY()
	pdf.SetXY(left, y)
	pdf.SetFont("serif", "B", 10)
	pdf.CellFormat(width*0.5, 5, "Nơi nhận:", "", 1, "L", false, 0, "")
	pdf.SetFont("serif", "", 9)
	for _, r := range lh.Recipients {
		pdf.SetX(left)
		pdf.CellFormat(width*0.5, 4.5, "- "+r, "", 1, "L", false, 0, "")
	}
	pdf.SetXY(left+width*0.5, y)
	pdf.SetFont("serif", "B", 11)
	for _, s := range lh.Signer {
		pdf.SetX(left + width*0.5)
		pdf.CellFormat(width*0.5, 5.5, s, "", 1, "C", false, 0, "")
	}
	pdf.SetX(left + width*0.5)
	pdf.SetFont("serif", "I", 9)
	pdf.CellFormat(width*0.5, 5, "(Ký, ghi rõ họ tên, đóng dấu)", "", 1, "C", false, 0, "")
}
