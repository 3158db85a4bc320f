package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/request"
)

type jurisdictionJSON struct {
	ID        int64      `json:"id"`
	Structure string     `json:"structure"`
	Unit      unitJSON   `json:"unit"`
	Type      string     `json:"type"`
	Agency    agencyJSON `json:"agency"`
	Primary   bool       `json:"primary"`
	Verified  bool       `json:"verified"`
	ValidFrom string     `json:"valid_from"`
	ValidTo   *string    `json:"valid_to"`
	Source    string     `json:"source"`
	Origin    string     `json:"origin"`
	Withdrawn bool       `json:"withdrawn"`
	UpdatedAt time.Time  `json:"updated_at"`
}

func dateText(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format("2006-01-02")
	return &s
}

func toJurisdictionJSON(r caseflow.JurisdictionRow) jurisdictionJSON {
	return jurisdictionJSON{ID: r.ID, Structure: r.Structure, Unit: toUnitJSON(r.Unit), Type: string(r.Type),
		Agency: toAgencyJSON(r.Agency), Primary: r.Primary, Verified: r.Verified, ValidFrom: r.ValidFrom.Format("2006-01-02"),
		ValidTo: dateText(r.ValidTo), Source: r.Source, Origin: r.Origin, Withdrawn: r.WithdrawnAt != nil, UpdatedAt: local(r.UpdatedAt)}
}

// queryDate reads an optional YYYY-MM-DD query parameter.
func queryDate(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	return parseDate(name, v)
}

func parseDate(field, v string) (time.Time, error) {
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		return d, caseflow.InvalidField(field, caseflow.FieldError{Code: caseflow.FieldNotADate, Message: "must be YYYY-MM-DD"})
	}
	return d, nil
}

func queryBool(c echo.Context, name string) (bool, error) {
	switch v := c.QueryParam(name); v {
	case "":
		return false, nil
	case "true", "false":
		return v == "true", nil
	}
	return false, caseflow.InvalidField(name, caseflow.FieldError{Code: caseflow.FieldNotOneOf, Message: "must be true or false",
		Allowed: []string{"true", "false"}})
}

func (s *API) listJurisdiction(c echo.Context) error {
	on, err := queryDate(c, "on")
	if err != nil {
		return err
	}
	unverified, err := queryBool(c, "unverified")
	if err != nil {
		return err
	}
	withdrawn, err := queryBool(c, "withdrawn")
	if err != nil {
		return err
	}
	f := caseflow.JurisdictionFilter{Structure: c.QueryParam("structure"), UnitCode: c.QueryParam("unit"),
		Type: caseflow.AgencyType(c.QueryParam("type")), On: on, Unverified: unverified, Withdrawn: withdrawn}
	rows, err := s.cases.Jurisdiction(c.Request().Context(), request.Viewer(c), f)
	if err != nil {
		return err
	}
	out := make([]jurisdictionJSON, 0, len(rows))
	for _, r := range rows {
		out = append(out, toJurisdictionJSON(r))
	}
	return c.JSON(http.StatusOK, map[string]any{"rows": out})
}

func (s *API) addJurisdiction(c echo.Context) error {
	var req struct {
		Structure  string  `json:"structure"`
		UnitCode   string  `json:"unit_code"`
		Type       string  `json:"type"`
		AgencyCode string  `json:"agency_code"`
		Primary    *bool   `json:"primary"`
		Verified   *bool   `json:"verified"`
		ValidFrom  string  `json:"valid_from"`
		ValidTo    *string `json:"valid_to"`
		Source     string  `json:"source"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	n := caseflow.NewJurisdiction{Structure: strings.TrimSpace(req.Structure), UnitCode: req.UnitCode, Type: caseflow.AgencyType(req.Type),
		AgencyCode: strings.TrimSpace(req.AgencyCode), Primary: req.Primary == nil || *req.Primary,
		Verified: req.Verified == nil || *req.Verified, Source: req.Source}
	if req.ValidFrom != "" {
		d, err := parseDate("valid_from", req.ValidFrom)
		if err != nil {
			return err
		}
		n.ValidFrom = d
	}
	if req.ValidTo != nil {
		d, err := parseDate("valid_to", *req.ValidTo)
		if err != nil {
			return err
		}
		n.ValidTo = &d
	}
	row, replaced, err := s.cases.AddJurisdiction(c.Request().Context(), request.Viewer(c), n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"row": toJurisdictionJSON(*row), "replaced": replaced})
}

func jurisdictionID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, caseflow.Errorf(caseflow.ENotFound, "no jurisdiction row %q", c.Param("id"))
	}
	return id, nil
}

func (s *API) editJurisdiction(c echo.Context) error {
	id, err := jurisdictionID(c)
	if err != nil {
		return err
	}
	var req struct {
		Verified *bool           `json:"verified"`
		Source   *string         `json:"source"`
		ValidTo  json.RawMessage `json:"valid_to"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	e := caseflow.JurisdictionEdit{Verified: req.Verified, Source: req.Source}
	switch raw := strings.TrimSpace(string(req.ValidTo)); {
	case raw == "":
	case raw == "null":
		e.ClearValidTo = true
	default:
		var v string
		if err := json.Unmarshal(req.ValidTo, &v); err != nil {
			return caseflow.InvalidField("valid_to", caseflow.FieldError{Code: caseflow.FieldWrongType, Message: "must be a date or null", Type: "string"})
		}
		d, err := parseDate("valid_to", v)
		if err != nil {
			return err
		}
		e.ValidTo = &d
	}
	row, err := s.cases.EditJurisdiction(c.Request().Context(), request.Viewer(c), id, e)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toJurisdictionJSON(*row))
}

func (s *API) withdrawJurisdiction(c echo.Context) error {
	id, err := jurisdictionID(c)
	if err != nil {
		return err
	}
	if err := s.cases.WithdrawJurisdiction(c.Request().Context(), request.Viewer(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type unitListJSON struct {
	unitJSON
	Structure string  `json:"structure"`
	Parent    string  `json:"parent,omitempty"`
	ValidFrom string  `json:"valid_from"`
	ValidTo   *string `json:"valid_to"`
}

// listUnits lists the units that exist on a day (default today), for
// pickers: a unit that has ended is never offered for a new report.
func (s *API) listUnits(c echo.Context) error {
	on, err := queryDate(c, "on")
	if err != nil {
		return err
	}
	us, err := s.cases.UnitsOn(c.Request().Context(), request.Viewer(c), on, c.QueryParam("level"))
	if err != nil {
		return err
	}
	out := make([]unitListJSON, 0, len(us))
	for _, u := range us {
		out = append(out, unitListJSON{unitJSON: toUnitJSON(u), Structure: u.Structure, Parent: u.Parent,
			ValidFrom: u.ValidFrom.Format("2006-01-02"), ValidTo: dateText(u.ValidTo)})
	}
	return c.JSON(http.StatusOK, map[string]any{"units": out})
}
