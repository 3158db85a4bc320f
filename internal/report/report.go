package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"caseflow/internal/caseflow"
	"caseflow/internal/catalog"
)

// The report is laid out once, as sections of tables, and then written as
// CSV or XLSX; both show the same cells.

// cell is one value: text, a whole number, or a fraction shown as a percentage.
type cell struct {
	text    string
	count   *int64
	percent *float64
	signed  bool // a percentage shown with its sign (a change)
}

func text(s string) cell { return cell{text: s} }

func count(n int64) cell { return cell{count: &n} }

// String is the cell as CSV shows it, in Vietnamese conventions (decimal comma).
func (c cell) String() string {
	switch {
	case c.count != nil:
		return strconv.FormatInt(*c.count, 10)
	case c.percent != nil:
		return percent(*c.percent, c.signed)
	}
	return c.text
}

// percent formats a fraction as a percentage with one decimal and a decimal comma.
func percent(v float64, signed bool) string {
	s := strconv.FormatFloat(v*100, 'f', 1, 64)
	if signed && v > 0 {
		s = "+" + s
	}
	return strings.Replace(s, ".", ",", 1) + "%"
}

// table is a titled grid; head is its column headings.
type table struct {
	title string
	head  []string
	rows  [][]cell
	// widths are the XLSX column widths, in characters.
	widths []float64
}

// section is a numbered part of the report.
type section struct {
	title string
	// wide marks the table of units, which also gets a sheet of its own.
	wide   bool
	notes  []string
	tables []table
}

// document is the whole report.
type document struct {
	title    string
	subtitle string
	lines    []string // unit, period, time of the figures
	sections []section
	footer   []string
}

// Title is the report's title. It has no comma, so that the first field of
// the CSV, right after the byte-order mark, needs no quotes.
const Title = "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU VỀ PHÒNG CHỐNG XÂM HẠI TRẺ EM"

func day(t time.Time) string { return t.In(caseflow.Zone).Format("02/01/2006") }

// vi labels a value of the domain in Vietnamese, the language of the report.
func vi(kind, value string) string { return catalog.Label("vi", kind, value) }

// indicator names an indicator, or one of its parts, in Vietnamese.
func indicator(kind string, ind caseflow.Indicator) string { return vi(kind, string(ind.ID)) }

// verdict is the assessment of an indicator against its target.
func verdict(r caseflow.IndicatorResult) string {
	switch {
	case r.Denominator == 0:
		return vi(catalog.Verdict, caseflow.VerdictNoData)
	case r.Met == nil:
		return vi(catalog.Verdict, caseflow.VerdictNoTarget)
	case *r.Met:
		return vi(catalog.Verdict, caseflow.VerdictMet)
	}
	return vi(catalog.Verdict, caseflow.VerdictUnmet)
}

// value is an indicator's value: a percentage, or "—" without data.
func value(r caseflow.IndicatorResult) cell {
	if r.Value == nil {
		return text("—")
	}
	v := *r.Value
	return cell{percent: &v, signed: r.Indicator.Change}
}

// compact is an indicator's value with its figure, for the unit table.
func compact(r caseflow.IndicatorResult) cell {
	if r.Value == nil {
		return text("—")
	}
	return text(fmt.Sprintf("%s (%d/%d)", percent(*r.Value, r.Indicator.Change), r.Numerator, r.Denominator))
}

func clockName(b caseflow.BreachCount) string {
	if b.LabelVI != "" {
		return b.LabelVI
	}
	return b.Clock
}

// layout builds the document from a report.
// structureNotes say how the cases of former units are counted: under the
// unit of the report's structure they became part of; a split unit under
// the one that took its main part; one with no known successor in the
// province's totals only.
func structureNotes(r *caseflow.ComplianceReport) []string {
	if r.Structure == "" {
		return nil
	}
	notes := []string{fmt.Sprintf("Số liệu theo đơn vị hành chính của cấu trúc %s; vụ việc của đơn vị cũ được tính vào đơn vị mà nó được sắp xếp vào.", r.Structure)}
	for _, m := range r.Split {
		n := fmt.Sprintf("%s (mã %s) được chia cho nhiều đơn vị; vụ việc của đơn vị này được tính vào %s (mã %s), đơn vị nhận phần chính",
			m.From.Name, m.From.Code, m.To.Name, m.To.Code)
		if !m.Verified {
			n += " (chưa được xác minh)"
		}
		notes = append(notes, n+".")
	}
	if len(r.Unplaced) > 0 {
		names := make([]string, len(r.Unplaced))
		for i, u := range r.Unplaced {
			names[i] = fmt.Sprintf("%s (mã %s)", u.Name, u.Code)
		}
		notes = append(notes, "Chưa xác định được đơn vị kế thừa, chỉ tính vào tổng số của tỉnh: "+strings.Join(names, ", ")+".")
	}
	return notes
}

func layout(r *caseflow.ComplianceReport) document {
	d := document{
		title:    Title,
		subtitle: "(Kế hoạch thực hiện Nghị quyết 121/2020/QH14 và Quyết định 1472/QĐ-TTg)",
		lines: []string{
			fmt.Sprintf("Đơn vị: %s (mã %s)", r.Unit.Name, r.Unit.Code),
			fmt.Sprintf("Kỳ báo cáo: từ ngày %s đến ngày %s", day(r.Period.From), day(r.Period.To)),
			fmt.Sprintf("Số liệu tính đến: %s (giờ Việt Nam)", r.AsOf.In(caseflow.Zone).Format("15:04 ngày 02/01/2006")),
		},
	}

	ind := table{head: []string{"STT", "Chỉ tiêu", "Tử số", "Mẫu số", "Kết quả", "Chỉ tiêu kế hoạch", "Đánh giá", "Cách tính"},
		widths: []float64{5, 55, 10, 10, 11, 16, 18, 70}}
	for i, x := range r.Indicators {
		ind.rows = append(ind.rows, []cell{count(int64(i + 1)), text(indicator(catalog.Indicator, x.Indicator)), count(x.Numerator),
			count(x.Denominator), value(x), text(indicator(catalog.IndicatorTarget, x.Indicator)), text(verdict(x)),
			text(indicator(catalog.IndicatorNumerator, x.Indicator) + " / " + indicator(catalog.IndicatorDenominator, x.Indicator))})
	}
	d.sections = append(d.sections, section{title: "I. CÁC CHỈ TIÊU THEO KẾ HOẠCH", tables: []table{ind},
		notes: []string{"Kết quả = tử số / mẫu số; riêng chỉ tiêu so với cùng kỳ: tử số / mẫu số − 1. " +
			"\"Chưa có số liệu\": mẫu số bằng 0. Thời hạn được gia hạn hợp lệ được tính theo hạn mới."}})

	if len(r.Units) > 0 {
		head := []string{"Đơn vị"}
		widths := []float64{30}
		for _, x := range r.Indicators {
			head = append(head, indicator(catalog.Indicator, x.Indicator))
			widths = append(widths, 18)
		}
		head = append(head, "Số vụ quá hạn")
		widths = append(widths, 12)
		t := table{head: head, widths: widths}
		for _, u := range r.Units {
			row := []cell{text(u.Unit.Name)}
			for _, x := range u.Indicators {
				row = append(row, compact(x))
			}
			t.rows = append(t.rows, append(row, count(u.Breaches)))
		}
		d.sections = append(d.sections, section{title: "II. KẾT QUẢ THEO ĐƠN VỊ TRỰC THUỘC", wide: true, tables: []table{t},
			notes: append([]string{"Mỗi ô: kết quả (tử số/mẫu số)."}, structureNotes(r)...)})
	}

	byClock := table{title: "Theo loại thời hạn", head: []string{"Thời hạn", "Số vụ quá hạn"}, widths: []float64{55, 14}}
	for _, b := range r.Breaches {
		byClock.rows = append(byClock.rows, []cell{text(clockName(b)), count(b.Count)})
	}
	byClock.rows = append(byClock.rows, []cell{text("Tổng cộng"), count(r.BreachTotal())})
	byAgency := table{title: "Theo cơ quan chịu trách nhiệm", head: []string{"Cơ quan", "Thời hạn", "Số vụ quá hạn"},
		widths: []float64{55, 45, 14}}
	for _, a := range r.Agencies {
		for _, b := range a.Breaches {
			byAgency.rows = append(byAgency.rows, []cell{text(a.Agency.Name), text(clockName(b)), count(b.Count)})
		}
	}
	if len(byAgency.rows) == 0 {
		byAgency.rows = append(byAgency.rows, []cell{text("Không có vụ quá hạn"), text(""), count(0)})
	}
	d.sections = append(d.sections, section{title: "III. VI PHẠM THỜI HẠN TỐ TỤNG, HỖ TRỢ", tables: []table{byClock, byAgency},
		notes: []string{"Các thời hạn đến hạn trong kỳ mà chưa hoàn thành khi hết hạn."}})

	agencies := table{head: []string{"Cơ quan", "Chỉ tiêu", "Tử số", "Mẫu số", "Kết quả", "Đánh giá"},
		widths: []float64{55, 55, 10, 10, 11, 18}}
	for _, a := range r.Agencies {
		for _, x := range a.Indicators {
			agencies.rows = append(agencies.rows, []cell{text(a.Agency.Name), text(indicator(catalog.Indicator, x.Indicator)), count(x.Numerator),
				count(x.Denominator), value(x), text(verdict(x))})
		}
	}
	if len(agencies.rows) > 0 {
		d.sections = append(d.sections, section{title: "IV. KẾT QUẢ THEO CƠ QUAN", tables: []table{agencies},
			notes: []string{"Chỉ tiêu tính theo thời hạn: cơ quan chịu trách nhiệm thời hạn; chỉ tiêu tính theo quyết định: cơ quan ghi nhận quyết định."}})
	}

	ch := r.Children
	breakdown := func(title, heading, kind string, cs []caseflow.Count) table {
		t := table{title: title, head: []string{heading, "Số trẻ em"}, widths: []float64{40, 12}}
		for _, c := range cs {
			t.rows = append(t.rows, []cell{text(vi(kind, c.Key)), count(c.Count)})
		}
		return t
	}
	d.sections = append(d.sections, section{
		title: "V. TRẺ EM BỊ XÂM HẠI (CHỈ TIÊU 0101, THÔNG TƯ 13/2021/TT-BLĐTBXH)",
		notes: []string{fmt.Sprintf("Tổng số trẻ em (dưới 16 tuổi) bị xâm hại trong các vụ việc tiếp nhận trong kỳ: %d", ch.Total),
			fmt.Sprintf("Người từ đủ 16 đến dưới 18 tuổi (không phải trẻ em theo Điều 1 Luật Trẻ em), không tính vào tổng: %d", ch.Aged16To17),
			"Không tính các vụ việc đã kết luận không có tội phạm, trùng tin báo hoặc đã chuyển nơi khác.",
			"Tuổi tính tại ngày tiếp nhận tin báo. Một vụ việc có thể có nhiều hình thức xâm hại nên tổng theo hình thức có thể lớn hơn tổng số trẻ em."},
		tables: []table{breakdown("Theo giới tính", "Giới tính", catalog.Sex, ch.BySex),
			breakdown("Theo nhóm tuổi", "Nhóm tuổi", catalog.AgeGroup, ch.ByAgeGroup),
			breakdown("Theo môi trường xảy ra", "Môi trường", catalog.Setting, ch.BySetting),
			breakdown("Theo hình thức xâm hại", "Hình thức", catalog.AbuseType, ch.ByAbuseType)},
	})
	d.footer = []string{"Báo cáo không chứa thông tin cá nhân của trẻ em, người tố giác hay người bị tố giác.",
		"Cấp đơn vị: " + vi(catalog.UnitLevel, r.Unit.Level) + "."}
	return d
}
