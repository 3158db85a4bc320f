package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/catalog"
	"caseflow/internal/request"
)

// The supervisor's dashboard: every indicator of the plan against its
// target, charts (indicators against their targets, a monthly trend,
// breaches per agency), drill-down to case codes, period and unit pickers
// and the CSV / XLSX exports, all over the compliance service.

// maxTrendMonths bounds the months of the trend chart, each one a report.
const maxTrendMonths = 24

type indicatorCard struct {
	ID, Label, Value, Figure, Target, Verdict, Tone, Href string
	Waiting                                               string // items not yet due, when any
	Num, Den                                              int64
	Pending                                               bool // no denominator yet
}

type unitRowView struct {
	Code, Name, Href string
	Met, Unmet       int
	Breaches         int64
}

type breakdownView struct {
	Title string
	Rows  []fact
}

type dashboardView struct {
	Query     string // from, to and unit, for links
	From, To  field
	Unit      field
	Structure field
	// StructureNotes say how former units are counted.
	StructureNotes []string
	Trend          field
	Presets        []navLink
	UnitName       string
	Period         string
	AsOf           string
	Timing         string // a period not ended: says so
	Cards          []indicatorCard
	MetCount       int
	UnmetCount     int
	FirstUnmet     string // the first failing indicator's card, which the "not met" badge links to
	Bars           string
	TrendSVG       string
	TrendRows      []fact
	TrendName      string
	Breaches       string
	BreachRows     []fact
	BreachHref     string
	BreachSum      int64
	Units          []unitRowView
	Children       []breakdownView
	ChildTotal     int64
	ExportCSV      string
	ExportXLSX     string
	ExportPDF      string
	Errors         []errItem
	// Retention: the erasure of personal data under the retention policy.
	Retention []fact
	// Source says where the figures were read, when a replica serves them.
	Source string
}

// complianceForm reads the period and unit of a dashboard address.
func complianceForm(c echo.Context) casework.ComplianceRequest {
	q := c.QueryParams()
	req := casework.ComplianceRequest{From: q.Get("from"), To: q.Get("to"), Unit: q.Get("unit"), Structure: q.Get("structure")}
	// Browsers without a date picker send what was typed.
	for _, d := range []*string{&req.From, &req.To} {
		if t, ok := parseFormDate(*d); ok {
			*d = t.Format("2006-01-02")
		}
	}
	return req
}

func queryOf(req casework.ComplianceRequest) string {
	q := url.Values{}
	if req.From != "" {
		q.Set("from", req.From)
	}
	if req.To != "" {
		q.Set("to", req.To)
	}
	if req.Unit != "" {
		q.Set("unit", req.Unit)
	}
	if req.Structure != "" {
		q.Set("structure", req.Structure)
	}
	return q.Encode()
}

func withQuery(path, q string) string {
	if q == "" {
		return path
	}
	return path + "?" + q
}

// percent writes a fraction as a percentage with one decimal.
func percent(lang string, v float64) string {
	s := strconv.FormatFloat(v*100, 'f', 1, 64)
	if lang == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + "%"
}

func (w *UI) dashboard(c echo.Context) error {
	lang := langOf(c)
	v := request.Viewer(c)
	req := complianceForm(c)
	ctx := c.Request().Context()
	rep, err := w.cases.Compliance(ctx, v, req)
	if de, ok := err.(*caseflow.Error); ok && de.Code == caseflow.EInvalid && len(de.Fields) > 0 {
		view := w.dashboardForm(c.Request().Context(), lang, v, req, nil)
		for k, m := range de.Fields {
			msg := fieldMessage(lang, k, m)
			switch k {
			case "from":
				view.From.Err = msg
			case "to":
				view.To.Err = msg
			case "unit":
				view.Unit.Err = msg
			case "structure":
				view.Structure.Err = msg
			}
			view.Errors = append(view.Errors, errItem{ID: k, Label: tr(lang, "dash."+k), Text: msg})
		}
		return w.render(c, http.StatusUnprocessableEntity, "dashboard", tr(lang, "title.dashboard"), view)
	}
	if err != nil {
		return err
	}
	// Links carry the period as reported, so that they stay put over midnight.
	req.From, req.To = rep.Period.FromDate(), rep.Period.ToDate()
	view := w.dashboardForm(c.Request().Context(), lang, v, req, rep)
	view.Source = readSource(lang, rep)
	q := queryOf(req)
	view.Query = q
	view.UnitName, view.Period, view.AsOf = rep.Unit.Name, rep.Period.From.Format("02/01/2006")+" – "+rep.Period.To.Format("02/01/2006"), formTime(rep.AsOf)
	view.ExportCSV, view.ExportXLSX = withQuery("/dashboard/export.csv", q), withQuery("/dashboard/export.xlsx", q)
	view.ExportPDF = withQuery("/dashboard/export.pdf", q)

	var bars []barItem
	for _, r := range rep.Indicators {
		card := w.card(lang, r, q)
		switch card.Tone {
		case toneOK:
			view.MetCount++
		case toneBad:
			view.UnmetCount++
			if view.FirstUnmet == "" {
				view.FirstUnmet = card.ID
			}
		}
		view.Cards = append(view.Cards, card)
		if !r.Indicator.Change {
			bars = append(bars, barItem{Label: catalog.Label(lang, catalog.IndicatorShort, card.ID), Value: r.Value, Target: r.Indicator.Target.Value(), Met: r.Met,
				Text: card.Value, Href: card.Href})
		}
	}
	view.Bars = ratioBars(tr(lang, "dash.chart_targets"), tr(lang, "dash.chart_targets_desc"), tr(lang, "dash.target"), noData(lang), bars)

	trendID := c.QueryParam("trend")
	if _, ok := caseflow.IndicatorByID(trendID); !ok || trendID == string(caseflow.IndicatorYearOnYear) {
		trendID = string(caseflow.IndicatorIntake)
	}
	view.Trend.Value = trendID
	for i := range view.Trend.Options {
		view.Trend.Options[i].Selected = view.Trend.Options[i].Value == trendID
	}
	if err := w.trend(c, lang, v, req, rep, trendID, &view); err != nil {
		return err
	}

	var agencyBars []barItem
	for _, a := range rep.Agencies {
		if n := a.BreachTotal(); n > 0 {
			val := float64(n)
			agencyBars = append(agencyBars, barItem{Label: a.Agency.Name, Value: &val, Text: strconv.FormatInt(n, 10)})
		}
	}
	if len(agencyBars) > 12 {
		agencyBars = agencyBars[:12]
	}
	view.BreachSum = rep.BreachTotal()
	if len(agencyBars) > 0 {
		view.Breaches = countBars(tr(lang, "dash.chart_breaches"), tr(lang, "dash.chart_breaches_desc"), agencyBars)
	}
	for _, b := range rep.Breaches {
		label := b.LabelVI
		if lang == "en" && b.LabelEN != "" {
			label = b.LabelEN
		}
		if label == "" {
			label = w.clockLabel(lang, b.Clock)
		}
		view.BreachRows = append(view.BreachRows, fact{label, strconv.FormatInt(b.Count, 10)})
	}
	view.BreachHref = withQuery("/dashboard/indicators/"+caseflow.Breaches, q)

	for _, u := range rep.Units {
		row := unitRowView{Code: u.Unit.Code, Name: u.Unit.Name, Breaches: u.Breaches}
		uq := casework.ComplianceRequest{From: req.From, To: req.To, Unit: u.Unit.Code, Structure: req.Structure}
		row.Href = withQuery("/dashboard", queryOf(uq))
		for _, r := range u.Indicators {
			if r.Met != nil && *r.Met {
				row.Met++
			} else if r.Met != nil {
				row.Unmet++
			}
		}
		view.Units = append(view.Units, row)
	}
	view.ChildTotal = rep.Children.Total
	if rep.Timing != caseflow.PeriodEnded {
		view.Timing = tr(lang, "dash.timing_"+rep.Timing)
	}
	for _, d := range []struct {
		key  string // a catalogue kind
		rows []caseflow.Count
	}{{catalog.Sex, rep.Children.BySex}, {catalog.AgeGroup, rep.Children.ByAgeGroup}, {catalog.Setting, rep.Children.BySetting},
		{catalog.AbuseType, rep.Children.ByAbuseType}} {
		bv := breakdownView{Title: tr(lang, "dash.by_"+d.key)}
		for _, r := range d.rows {
			bv.Rows = append(bv.Rows, fact{catalog.Label(lang, d.key, r.Key), strconv.FormatInt(r.Count, 10)})
		}
		view.Children = append(view.Children, bv)
	}
	if rf, err := w.cases.RetentionFiguresOf(c.Request().Context(), request.Viewer(c)); err == nil {
		policy := tr(lang, "dash.retention_none")
		if rf.Enabled {
			policy = rf.Policy
		}
		view.Retention = []fact{{tr(lang, "dash.retention_policy"), policy},
			{tr(lang, "dash.retention_erased"), strconv.FormatInt(rf.Erased, 10)},
			{tr(lang, "dash.retention_recent"), strconv.FormatInt(rf.ErasedRecent, 10)},
			{tr(lang, "dash.retention_due"), strconv.Itoa(rf.DueSoon)}}
	}
	return w.render(c, http.StatusOK, "dashboard", tr(lang, "title.dashboard"), view)
}

// card is one indicator at a glance: value, figure, target and verdict.
func (w *UI) card(lang string, r caseflow.IndicatorResult, q string) indicatorCard {
	ind := r.Indicator
	card := indicatorCard{ID: string(ind.ID), Label: catalog.Label(lang, catalog.Indicator, string(ind.ID)),
		Num: r.Numerator, Den: r.Denominator, Figure: tr(lang, "dash.figure", r.Numerator, r.Denominator),
		Target: catalog.Label(lang, catalog.IndicatorTarget, string(ind.ID)),
		Href:   withQuery("/dashboard/indicators/"+string(ind.ID), q)}
	if r.Pending > 0 {
		card.Waiting = tr(lang, "dash.pending", r.Pending)
	}
	if r.Value == nil {
		card.Value, card.Pending = noData(lang), true
	} else {
		card.Value = percent(lang, *r.Value)
		if ind.Change && *r.Value > 0 {
			card.Value = "+" + card.Value
		}
	}
	verdict := func(v string) string { return catalog.Label(lang, catalog.Verdict, v) }
	switch {
	case r.Met == nil && ind.Target.Op == caseflow.TargetNone:
		card.Verdict, card.Tone = verdict(caseflow.VerdictNoTarget), toneMuted
	case r.Met == nil:
		card.Verdict, card.Tone = verdict(caseflow.VerdictNoData), toneMuted
	case *r.Met:
		card.Verdict, card.Tone = verdict(caseflow.VerdictMet), toneOK
	default:
		card.Verdict, card.Tone = verdict(caseflow.VerdictUnmet), toneBad
	}
	return card
}

// noData is what a figure without a denominator shows.
func noData(lang string) string { return catalog.Label(lang, catalog.Verdict, caseflow.VerdictNoData) }

// dashboardForm fills the period, unit and trend pickers.
func (w *UI) dashboardForm(ctx context.Context, lang string, v caseflow.Viewer, req casework.ComplianceRequest, rep *caseflow.ComplianceReport) dashboardView {
	view := dashboardView{}
	view.From = field{ID: "from", Name: "from", Type: "date", Label: tr(lang, "dash.from"), Value: req.From}
	view.To = field{ID: "to", Name: "to", Type: "date", Label: tr(lang, "dash.to"), Value: req.To}
	view.Unit = field{ID: "unit", Name: "unit", Type: "select", Label: tr(lang, "dash.unit"), Placeholder: v.Agency.Unit.Name}
	current := req.Unit
	if rep != nil {
		current = rep.Unit.Code
	}
	for _, u := range w.directory(ctx).unitsUnder(v.Agency.Unit.Code) {
		view.Unit.Options = append(view.Unit.Options, option{Value: u.code, Text: u.label, Selected: u.code == current})
	}
	view.Structure = field{ID: "structure", Name: "structure", Type: "select", Label: tr(lang, "dash.structure"),
		Options: []option{{Value: "", Text: tr(lang, "dash.structure_today"), Selected: req.Structure == ""}}}
	if sts, err := w.cases.Structures(ctx, v); err != nil {
		w.log.Error("reading the administrative structures", "err", err.Error())
	} else {
		now := w.cases.Now()
		for _, st := range sts {
			if st.ValidOn(now) {
				continue // the default
			}
			text := st.Label
			if lang == "en" && st.LabelEn != "" {
				text = st.LabelEn
			}
			view.Structure.Options = append(view.Structure.Options, option{Value: st.ID, Text: text, Selected: req.Structure == st.ID})
		}
	}
	if rep != nil {
		view.StructureNotes = structureNotes(lang, rep)
	}
	view.Trend = field{ID: "trend", Name: "trend", Type: "select", Label: tr(lang, "dash.trend_of")}
	for _, ind := range caseflow.Indicators {
		if ind.Change {
			continue
		}
		view.Trend.Options = append(view.Trend.Options, option{Value: string(ind.ID),
			Text: catalog.Label(lang, catalog.Indicator, string(ind.ID))})
	}
	now := caseflow.Local(w.cases.Now())
	y, m, _ := now.Date()
	monthStart := time.Date(y, m, 1, 0, 0, 0, 0, caseflow.Zone)
	quarterStart := time.Date(y, time.Month((int(m)-1)/3*3+1), 1, 0, 0, 0, 0, caseflow.Zone)
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	for _, p := range []struct{ key, from, to string }{
		{"dash.this_year", strconv.Itoa(y) + "-01-01", day(now)},
		{"dash.this_quarter", day(quarterStart), day(now)},
		{"dash.this_month", day(monthStart), day(now)},
		{"dash.last_year", strconv.Itoa(y-1) + "-01-01", strconv.Itoa(y-1) + "-12-31"},
	} {
		pq := casework.ComplianceRequest{From: p.from, To: p.to, Unit: req.Unit, Structure: req.Structure}
		view.Presets = append(view.Presets, navLink{Href: withQuery("/dashboard", queryOf(pq)), Text: tr(lang, p.key),
			Current: p.from == req.From && p.to == req.To})
	}
	return view
}

// trend reports each month of the period for one indicator.
func (w *UI) trend(c echo.Context, lang string, v caseflow.Viewer, req casework.ComplianceRequest, rep *caseflow.ComplianceReport, id string, view *dashboardView) error {
	ind, _ := caseflow.IndicatorByID(id)
	view.TrendName = catalog.Label(lang, catalog.Indicator, string(ind.ID))
	start := time.Date(rep.Period.From.Year(), rep.Period.From.Month(), 1, 0, 0, 0, 0, caseflow.Zone)
	var months []time.Time
	for m := start; !m.After(rep.Period.To); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	if len(months) > maxTrendMonths {
		months = months[len(months)-maxTrendMonths:]
	}
	// One query for every month of the chart.
	from := months[0]
	if from.Before(rep.Period.From) {
		from = rep.Period.From
	}
	figs, err := w.cases.ComplianceTrend(c.Request().Context(), v, casework.ComplianceRequest{From: from.Format("2006-01-02"),
		To: rep.Period.To.Format("2006-01-02"), Unit: rep.Unit.Code, Structure: req.Structure}, id)
	if err != nil {
		return err
	}
	byMonth := map[string]caseflow.Figure{}
	for _, f := range figs {
		byMonth[f.Month] = f.Figure
	}
	var points []trendPoint
	for _, m := range months {
		p := trendPoint{Label: tr(lang, "month.short."+strconv.Itoa(int(m.Month())))}
		if len(months) > 12 || m.Year() != rep.Period.To.Year() {
			p.Label += "/" + strconv.Itoa(m.Year()%100)
		}
		r := ind.Result(byMonth[m.Format("2006-01")])
		p.Value, p.Met = r.Value, r.Met
		p.Text = tr(lang, "dash.figure", r.Numerator, r.Denominator)
		if r.Value != nil {
			p.Text = percent(lang, *r.Value) + " (" + p.Text + ")"
		} else {
			p.Text = noData(lang)
		}
		points = append(points, p)
		view.TrendRows = append(view.TrendRows, fact{p.Label, p.Text})
	}
	view.TrendSVG = trendLine(tr(lang, "dash.chart_trend", view.TrendName), tr(lang, "dash.chart_trend_desc"), tr(lang, "dash.target"),
		points, ind.Target.Value())
	return nil
}

type itemView struct {
	Code, State, Commune, At, Due, Done, Agency, Clock, Late string
	In                                                       bool
}

type indicatorView struct {
	Label, Definition, Period, UnitName, Back string
	Parts                                     []navLink
	Items                                     []itemView
	Next                                      string
	Breaches                                  bool
}

func (w *UI) dashboardCases(c echo.Context) error {
	lang := langOf(c)
	v := request.Viewer(c)
	id := c.Param("id")
	q := c.QueryParams()
	req := casework.ComplianceCasesRequest{ComplianceRequest: complianceForm(c), Indicator: id, Part: q.Get("part"),
		Clock: q.Get("clock"), Agency: q.Get("agency"), Cursor: q.Get("cursor"), Limit: 100}
	pg, err := w.cases.ComplianceCases(c.Request().Context(), v, req)
	if err != nil {
		return err
	}
	base := queryOf(req.ComplianceRequest)
	view := indicatorView{Back: withQuery("/dashboard", base), Breaches: id == caseflow.Breaches,
		Period: pg.Period.From.Format("02/01/2006") + " – " + pg.Period.To.Format("02/01/2006"), UnitName: pg.Unit.Name}
	if ind, ok := caseflow.IndicatorByID(id); ok {
		view.Label, view.Definition = catalog.Label(lang, catalog.Indicator, string(ind.ID)), ind.Definition
		part := req.Part
		if part == "" {
			part = caseflow.PartAll
		}
		for _, p := range []string{caseflow.PartAll, caseflow.PartNumerator, caseflow.PartMissed} {
			pq, _ := url.ParseQuery(base)
			pq.Set("part", p)
			view.Parts = append(view.Parts, navLink{Href: "/dashboard/indicators/" + id + "?" + pq.Encode(),
				Text: catalog.Label(lang, catalog.Part, p), Current: p == part})
		}
	} else {
		view.Label = tr(lang, "dash.breaches")
	}
	for _, it := range pg.Items {
		iv := itemView{Code: it.Code, State: w.anyStateLabel(lang, it.State), Commune: it.Commune.Name, At: formTime(it.At),
			Agency: it.AgencyCode, In: it.InNumerator}
		if it.Clock != "" {
			iv.Clock = w.clockLabel(lang, it.Clock)
		}
		if it.DueAt != nil {
			iv.Due = dueTime(lang, *it.DueAt)
		}
		if it.DoneAt != nil {
			iv.Done = formTime(*it.DoneAt)
		}
		if late := it.Lateness(pg.AsOf); late != nil {
			iv.Late = tr(lang, "dash.late_by", lateText(lang, *late))
		}
		view.Items = append(view.Items, iv)
	}
	if pg.NextCursor != "" {
		nq := cloneQuery(q)
		nq.Set("cursor", pg.NextCursor)
		view.Next = "/dashboard/indicators/" + url.PathEscape(id) + "?" + nq.Encode()
	}
	return w.render(c, http.StatusOK, "indicator", tr(lang, "title.indicator"), view)
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// webExportTypes are the content types of the exports.

func (w *UI) dashboardExport(c echo.Context) error {
	format := c.Param("format")
	typ, ok := casework.ExportTypes[format]
	if !ok {
		return caseflow.Errorf(caseflow.ENotFound, "no such export")
	}
	var buf bytes.Buffer
	name, err := w.cases.ComplianceExport(c.Request().Context(), request.Viewer(c), complianceForm(c), format, &buf)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, typ, buf.Bytes())
}

// structureNotes say how the report counts former units: a split one under
// the unit that took its main part, one without a known successor in the
// province's totals only.
func structureNotes(lang string, rep *caseflow.ComplianceReport) []string {
	var out []string
	for _, m := range rep.Split {
		n := fmt.Sprintf(tr(lang, "dash.split"), m.From.Name, m.From.Code, m.To.Name, m.To.Code)
		if !m.Verified {
			n += " " + tr(lang, "dash.unverified")
		}
		out = append(out, n)
	}
	if len(rep.Unplaced) > 0 {
		names := make([]string, len(rep.Unplaced))
		for i, u := range rep.Unplaced {
			names[i] = u.Name + " (" + u.Code + ")"
		}
		out = append(out, fmt.Sprintf(tr(lang, "dash.unplaced"), strings.Join(names, ", ")))
	}
	return out
}

// lateText says a lateness in days and hours, or hours and minutes under a
// day.
func lateText(lang string, seconds int64) string {
	d, h, m := seconds/86400, seconds%86400/3600, seconds%3600/60
	if lang == "en" {
		if d > 0 {
			return fmt.Sprintf("%d d %d h", d, h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	if d > 0 {
		return fmt.Sprintf("%d ngày %d giờ", d, h)
	}
	return fmt.Sprintf("%d giờ %d phút", h, m)
}

// readSource says where the figures were read and how far behind the
// replica was, when one is configured.
func readSource(lang string, rep *caseflow.ComplianceReport) string {
	r := rep.Replica
	lag := strconv.FormatFloat(r.Lag.Seconds(), 'f', 1, 64)
	switch {
	case !r.Configured:
		return ""
	case rep.ReadFrom == caseflow.ReadReplica:
		return tr(lang, "dash.from_replica", lag)
	case !r.Up:
		return tr(lang, "dash.from_primary_down")
	default:
		return tr(lang, "dash.from_primary_behind", lag, strconv.FormatFloat(r.MaxLag.Seconds(), 'f', 0, 64))
	}
}
