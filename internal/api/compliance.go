package api

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/catalog"
	"caseflow/internal/request"
	"caseflow/internal/workflow"
)

type periodJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type targetJSON struct {
	Op    string   `json:"op"`
	Value *float64 `json:"value"`
}

type indicatorJSON struct {
	ID          string         `json:"id"`
	Label       workflow.Label `json:"label"`
	Numerator   int64          `json:"numerator"`
	Denominator int64          `json:"denominator"`
	Pending     int64          `json:"pending"`
	Value       *float64       `json:"value"`
	Target      targetJSON     `json:"target"`
	Met         *bool          `json:"met"`
}

// figureJSON is an indicator of a unit or agency in a breakdown: the label
// and target are those of the report's indicator with the same id.
type figureJSON struct {
	ID          string   `json:"id"`
	Numerator   int64    `json:"numerator"`
	Denominator int64    `json:"denominator"`
	Value       *float64 `json:"value"`
	Met         *bool    `json:"met"`
}

type unitFiguresJSON struct {
	Unit        unitJSON     `json:"unit"`
	Indicators  []figureJSON `json:"indicators"`
	Breaches    int64        `json:"breaches"`
	Escalations int64        `json:"escalations"`
}

type agencyFiguresJSON struct {
	Agency     agencyJSON   `json:"agency"`
	Indicators []figureJSON `json:"indicators"`
	Breaches   int64        `json:"breaches"`
}

type breachJSON struct {
	Clock string         `json:"clock"`
	Label workflow.Label `json:"label"`
	Count int64          `json:"count"`
}

type agencyBreachesJSON struct {
	Agency  agencyJSON   `json:"agency"`
	Total   int64        `json:"total"`
	ByClock []breachJSON `json:"by_clock"`
}

type breachesJSON struct {
	Total    int64                `json:"total"`
	ByClock  []breachJSON         `json:"by_clock"`
	ByAgency []agencyBreachesJSON `json:"by_agency"`
}

type countJSON struct {
	Key   string         `json:"key"`
	Label workflow.Label `json:"label"`
	Count int64          `json:"count"`
}

type childrenJSON struct {
	Total       int64       `json:"total"`
	Aged16To17  int64       `json:"aged_16_17"`
	BySex       []countJSON `json:"by_sex"`
	ByAgeGroup  []countJSON `json:"by_age_group"`
	BySetting   []countJSON `json:"by_setting"`
	ByAbuseType []countJSON `json:"by_abuse_type"`
}

type complianceJSON struct {
	Period     periodJSON          `json:"period"`
	Unit       unitJSON            `json:"unit"`
	AsOf       time.Time           `json:"as_of"`
	Timing     string              `json:"timing"`
	Indicators []indicatorJSON     `json:"indicators"`
	Units      []unitFiguresJSON   `json:"units"`
	Agencies   []agencyFiguresJSON `json:"agencies"`
	Breaches   breachesJSON        `json:"breaches"`
	// Escalations are the breaches of the period escalated because nobody
	// acknowledged or mended them in time, per clock.
	Escalations escalationsJSON `json:"escalations"`
	Children    childrenJSON    `json:"children"`
	// Structure is the administrative structure the figures are on; Split
	// and Unplaced say how former units were counted where it is not plain.
	Structure string            `json:"structure"`
	Split     []unitMappingJSON `json:"split"`
	Unplaced  []unitJSON        `json:"unplaced"`
}

type escalationsJSON struct {
	Total   int64        `json:"total"`
	ByClock []breachJSON `json:"by_clock"`
}

type unitMappingJSON struct {
	From     unitJSON `json:"from"`
	CountsIn unitJSON `json:"counts_in"`
	Portion  string   `json:"portion"`
	Verified bool     `json:"verified"`
}

func toPeriodJSON(p caseflow.Period) periodJSON {
	return periodJSON{From: p.FromDate(), To: p.ToDate()}
}

func toUnitJSON(u caseflow.Unit) unitJSON {
	return unitJSON{Code: u.Code, Name: u.Name, Level: u.Level}
}

func toAgencyJSON(a caseflow.Agency) agencyJSON {
	return agencyJSON{Code: a.Code, Name: a.Name, Type: string(a.Type)}
}

func toFigures(rs []caseflow.IndicatorResult) []figureJSON {
	out := make([]figureJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, figureJSON{ID: string(r.Indicator.ID), Numerator: r.Numerator, Denominator: r.Denominator,
			Value: r.Value, Met: r.Met})
	}
	return out
}

func toBreaches(bs []caseflow.BreachCount) []breachJSON {
	out := make([]breachJSON, 0, len(bs))
	for _, b := range bs {
		out = append(out, breachJSON{Clock: b.Clock, Label: workflow.Label{VI: b.LabelVI, EN: b.LabelEN}, Count: b.Count})
	}
	return out
}

// toCounts is a breakdown by one dimension, each value labelled as kind
// in the catalogue.
func toCounts(kind string, cs []caseflow.Count) []countJSON {
	out := make([]countJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, countJSON{Key: c.Key, Label: label(kind, c.Key), Count: c.Count})
	}
	return out
}

// label is the catalogue's labels of a value, in the shape of the API.
func label(kind, value string) workflow.Label {
	t := catalog.Labels(kind, value)
	return workflow.Label{VI: t.VI, EN: t.EN}
}

func toComplianceJSON(r *caseflow.ComplianceReport) complianceJSON {
	out := complianceJSON{Period: toPeriodJSON(r.Period), Unit: toUnitJSON(r.Unit), AsOf: local(r.AsOf), Timing: r.Timing,
		Indicators: []indicatorJSON{}, Units: []unitFiguresJSON{}, Agencies: []agencyFiguresJSON{},
		Breaches:    breachesJSON{Total: r.BreachTotal(), ByClock: toBreaches(r.Breaches), ByAgency: []agencyBreachesJSON{}},
		Escalations: escalationsJSON{Total: r.EscalationTotal(), ByClock: toBreaches(r.Escalations)},
		Children: childrenJSON{Total: r.Children.Total, Aged16To17: r.Children.Aged16To17, BySex: toCounts(catalog.Sex, r.Children.BySex),
			ByAgeGroup: toCounts(catalog.AgeGroup, r.Children.ByAgeGroup), BySetting: toCounts(catalog.Setting, r.Children.BySetting),
			ByAbuseType: toCounts(catalog.AbuseType, r.Children.ByAbuseType)},
		Structure: r.Structure, Split: []unitMappingJSON{}, Unplaced: []unitJSON{}}
	for _, m := range r.Split {
		out.Split = append(out.Split, unitMappingJSON{From: toUnitJSON(m.From), CountsIn: toUnitJSON(m.To), Portion: m.Portion, Verified: m.Verified})
	}
	for _, u := range r.Unplaced {
		out.Unplaced = append(out.Unplaced, toUnitJSON(u))
	}
	for _, x := range r.Indicators {
		ind := x.Indicator
		out.Indicators = append(out.Indicators, indicatorJSON{ID: string(ind.ID), Label: label(catalog.Indicator, string(ind.ID)),
			Numerator: x.Numerator, Denominator: x.Denominator, Pending: x.Pending, Value: x.Value,
			Target: targetJSON{Op: string(ind.Target.Op), Value: ind.Target.Value()}, Met: x.Met})
	}
	for _, u := range r.Units {
		out.Units = append(out.Units, unitFiguresJSON{Unit: toUnitJSON(u.Unit), Indicators: toFigures(u.Indicators), Breaches: u.Breaches,
			Escalations: u.Escalations})
	}
	for _, a := range r.Agencies {
		out.Agencies = append(out.Agencies, agencyFiguresJSON{Agency: toAgencyJSON(a.Agency), Indicators: toFigures(a.Indicators),
			Breaches: a.BreachTotal()})
		if len(a.Breaches) > 0 {
			out.Breaches.ByAgency = append(out.Breaches.ByAgency, agencyBreachesJSON{Agency: toAgencyJSON(a.Agency),
				Total: a.BreachTotal(), ByClock: toBreaches(a.Breaches)})
		}
	}
	return out
}

func complianceRequest(c echo.Context) casework.ComplianceRequest {
	q := c.QueryParams()
	return casework.ComplianceRequest{From: q.Get("from"), To: q.Get("to"), Unit: q.Get("unit"), Structure: q.Get("structure")}
}

func (s *API) compliance(c echo.Context) error {
	rep, err := s.cases.Compliance(c.Request().Context(), request.Viewer(c), complianceRequest(c))
	if err != nil {
		return err
	}
	readFrom(c, rep)
	return c.JSON(http.StatusOK, toComplianceJSON(rep))
}

type complianceItemJSON struct {
	Code          string     `json:"code"`
	State         string     `json:"state"`
	ReceivedAt    time.Time  `json:"received_at"`
	Commune       unitJSON   `json:"commune"`
	AgencyCode    string     `json:"agency_code,omitempty"`
	Clock         string     `json:"clock,omitempty"`
	At            time.Time  `json:"at"`
	DueAt         *time.Time `json:"due_at,omitempty"`
	DoneAt        *time.Time `json:"done_at,omitempty"`
	InNumerator   bool       `json:"in_numerator"`
	InDenominator bool       `json:"in_denominator"`
	LateSeconds   *int64     `json:"late_seconds,omitempty"`
}

type complianceCasesJSON struct {
	Indicator  string               `json:"indicator"`
	Part       string               `json:"part"`
	Period     periodJSON           `json:"period"`
	Unit       unitJSON             `json:"unit"`
	Cases      []complianceItemJSON `json:"cases"`
	NextCursor string               `json:"next_cursor,omitempty"`
}

func (s *API) complianceCases(c echo.Context) error {
	q := c.QueryParams()
	req := casework.ComplianceCasesRequest{ComplianceRequest: complianceRequest(c), Indicator: c.Param("id"),
		Part: q.Get("part"), Clock: q.Get("clock"), Agency: q.Get("agency"), Cursor: q.Get("cursor")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if bad := limitError(n, err, 1000); bad != nil {
			return caseflow.InvalidField("limit", *bad)
		}
		req.Limit = n
	}
	v := request.Viewer(c)
	page, err := s.cases.ComplianceCases(c.Request().Context(), v, req)
	if err != nil {
		return err
	}
	part := req.Part
	if part == "" {
		part = caseflow.PartAll
	}
	out := complianceCasesJSON{Indicator: req.Indicator, Part: part, Period: toPeriodJSON(page.Period), Unit: toUnitJSON(page.Unit),
		Cases: []complianceItemJSON{}, NextCursor: page.NextCursor}
	for _, it := range page.Items {
		out.Cases = append(out.Cases, complianceItemJSON{Code: it.Code, State: it.State, ReceivedAt: local(it.ReceivedAt),
			Commune: toUnitJSON(it.Commune), AgencyCode: it.AgencyCode, Clock: it.Clock, At: local(it.At),
			DueAt: localPtr(it.DueAt), DoneAt: localPtr(it.DoneAt), InNumerator: it.InNumerator, InDenominator: it.InDenominator,
			LateSeconds: it.Lateness(page.AsOf)})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *API) complianceExport(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		var buf bytes.Buffer
		name, err := s.cases.ComplianceExport(c.Request().Context(), request.Viewer(c), complianceRequest(c), format, &buf)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
		return c.Blob(http.StatusOK, casework.ExportTypes[format], buf.Bytes())
	}
}

// readFrom says in headers where the figures were read: X-Read-From
// (replica or primary) and, with a replica, X-Replica-Lag (seconds, or
// "down").
func readFrom(c echo.Context, rep *caseflow.ComplianceReport) {
	h := c.Response().Header()
	h.Set("X-Read-From", rep.ReadFrom)
	switch r := rep.Replica; {
	case !r.Configured:
	case r.Up:
		h.Set("X-Replica-Lag", strconv.FormatFloat(r.Lag.Seconds(), 'f', 1, 64))
	default:
		h.Set("X-Replica-Lag", "down")
	}
}
