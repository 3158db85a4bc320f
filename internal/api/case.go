package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/request"
)

type personJSON struct {
	FullName     string `json:"full_name,omitempty"`
	Sex          string `json:"sex,omitempty"`
	DateOfBirth  string `json:"date_of_birth,omitempty"`
	Age          *int   `json:"age,omitempty"`
	Address      string `json:"address,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Relationship string `json:"relationship,omitempty"`
	Anonymous    bool   `json:"anonymous,omitempty"`
}

// reportRequest keeps the people as raw JSON so that each can be decoded on
// its own and a bad value named with its position (children[1].age).
type reportRequest struct {
	ReceivedAt      string            `json:"received_at"`
	Channel         string            `json:"channel"`
	CommuneCode     string            `json:"commune_code"`
	AbuseTypes      []string          `json:"abuse_types"`
	Setting         string            `json:"setting"`
	ImmediateDanger *bool             `json:"immediate_danger"`
	Children        []json.RawMessage `json:"children"`
	Suspects        []json.RawMessage `json:"suspects"`
	Reporter        json.RawMessage   `json:"reporter"`
	Narrative       string            `json:"narrative"`
}

func (p personJSON) person(kind string) caseflow.Person {
	return caseflow.Person{Kind: kind, FullName: p.FullName, Sex: p.Sex, DateOfBirth: p.DateOfBirth, Age: p.Age,
		Address: p.Address, Phone: p.Phone, Relationship: p.Relationship, Anonymous: p.Anonymous}
}

// decodePerson decodes one person strictly, naming bad fields under path.
func decodePerson(fe caseflow.FieldErrors, path string, raw json.RawMessage) (personJSON, bool) {
	var p personJSON
	if len(raw) == 0 || string(raw) == "null" {
		return p, false
	}
	if err := decodeBytes(raw, &p); err != nil {
		var de *caseflow.Error
		if errors.As(err, &de) && len(de.Fields) > 0 {
			for k, v := range de.Fields {
				fe.Add(path+"."+k, v)
			}
		} else {
			fe.Add(path, caseflow.FieldError{Code: caseflow.FieldWrongType, Message: "must be a JSON object", Type: "object"})
		}
		return p, false
	}
	return p, true
}

// report converts the request, naming the fields that cannot be converted;
// the domain validates the rest.
func (r reportRequest) report(check func(*caseflow.Report) error) (*caseflow.Report, error) {
	rep := &caseflow.Report{Channel: r.Channel, CommuneCode: r.CommuneCode, AbuseTypes: r.AbuseTypes,
		Setting: r.Setting, Narrative: r.Narrative}
	fe := caseflow.FieldErrors{}
	children := make([]personJSON, 0, len(r.Children))
	for i, raw := range r.Children {
		p, _ := decodePerson(fe, "children["+strconv.Itoa(i)+"]", raw)
		children = append(children, p)
	}
	suspects := make([]personJSON, 0, len(r.Suspects))
	for i, raw := range r.Suspects {
		p, _ := decodePerson(fe, "suspects["+strconv.Itoa(i)+"]", raw)
		suspects = append(suspects, p)
	}
	var reporter *personJSON
	if p, ok := decodePerson(fe, "reporter", r.Reporter); ok {
		reporter = &p
	}
	if r.ReceivedAt != "" {
		t, err := time.Parse(time.RFC3339, r.ReceivedAt)
		if err != nil {
			fe.Add("received_at", caseflow.FieldError{Code: caseflow.FieldNotADatetime,
				Message: "must be an RFC 3339 time with a zone, e.g. 2026-11-29T08:00:00+07:00"})
		}
		rep.ReceivedAt = t
	}
	if r.ImmediateDanger == nil {
		fe.Add("immediate_danger", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required (true or false)"})
	} else {
		rep.ImmediateDanger = *r.ImmediateDanger
	}
	for _, c := range children {
		rep.Children = append(rep.Children, c.person(caseflow.PersonChild))
	}
	for _, s := range suspects {
		rep.Suspects = append(rep.Suspects, s.person(caseflow.PersonSuspect))
	}
	if reporter != nil {
		p := reporter.person(caseflow.PersonReporter)
		rep.Reporter = &p
	}
	if len(fe) == 0 {
		// The service checks the rest when it files the report.
		return rep, nil
	}
	// Name every problem at once: the domain's rules as well as the shape's.
	if err := check(rep); err != nil {
		if de, ok := err.(*caseflow.Error); ok {
			for k, v := range de.Fields {
				fe.Add(k, v)
			}
		}
	}
	if r.ReceivedAt == "" {
		delete(fe, "received_at")
		fe.Add("received_at", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required (RFC 3339 time)"})
	}
	return rep, fe.Err()
}

type workflowRef struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
}

type caseJSON struct {
	Code            string       `json:"code"`
	State           string       `json:"state"`
	Version         int          `json:"version"`
	Workflow        workflowRef  `json:"workflow"`
	Commune         unitJSON     `json:"commune"`
	ReceivedAt      time.Time    `json:"received_at"`
	Channel         string       `json:"channel"`
	AbuseTypes      []string     `json:"abuse_types"`
	Setting         string       `json:"setting"`
	ImmediateDanger bool         `json:"immediate_danger"`
	CrimeCategory   string       `json:"crime_category,omitempty"`
	Outcome         string       `json:"outcome,omitempty"`
	Access          string       `json:"access"`
	CreatedAt       time.Time    `json:"created_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
	Children        []personJSON `json:"children,omitempty"`
	Suspects        []personJSON `json:"suspects,omitempty"`
	Reporter        *personJSON  `json:"reporter,omitempty"`
	Narrative       string       `json:"narrative,omitempty"`
	// ErasedAt: the case's personal data was erased (shredded) then.
	ErasedAt        *time.Time       `json:"erased_at,omitempty"`
	AvailableEvents []availableEvent `json:"available_events,omitempty"`
}

func toPersonJSON(p caseflow.Person) personJSON {
	return personJSON{FullName: p.FullName, Sex: p.Sex, DateOfBirth: p.DateOfBirth, Age: p.Age, Address: p.Address,
		Phone: p.Phone, Relationship: p.Relationship, Anonymous: p.Anonymous}
}

func toCaseJSON(c *caseflow.Case) caseJSON {
	out := caseJSON{Code: c.Code, State: c.State, Version: c.Version,
		Workflow:   workflowRef{ID: c.WorkflowID, Version: c.WorkflowVersion},
		Commune:    unitJSON{Code: c.Commune.Code, Name: c.Commune.Name, Level: caseflow.LevelCommune},
		ReceivedAt: local(c.ReceivedAt), Channel: c.Channel, AbuseTypes: c.AbuseTypes, Setting: c.Setting,
		ImmediateDanger: c.ImmediateDanger, CrimeCategory: c.CrimeCategory, Outcome: c.Outcome,
		Access: string(c.Access), CreatedAt: local(c.CreatedAt), UpdatedAt: local(c.UpdatedAt), Narrative: c.Narrative,
		ErasedAt: localPtr(c.ErasedAt)}
	for _, p := range c.Children {
		out.Children = append(out.Children, toPersonJSON(p))
	}
	for _, p := range c.Suspects {
		out.Suspects = append(out.Suspects, toPersonJSON(p))
	}
	if c.Reporter != nil {
		r := toPersonJSON(*c.Reporter)
		out.Reporter = &r
	}
	return out
}

type intakeResponse struct {
	caseJSON
	PossibleDuplicates []string `json:"possible_duplicates"`
}

func (s *API) fileReport(c echo.Context) error {
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	key := c.Request().Header.Get("Idempotency-Key")
	if len(key) > 200 {
		return caseflow.InvalidField("Idempotency-Key", caseflow.FieldError{Code: caseflow.FieldTooLong,
			Message: "is longer than 200 characters", Max: 200})
	}
	var req reportRequest
	if err := decodeBytes(raw, &req); err != nil {
		return err
	}
	rep, err := req.report(s.cases.CheckReport)
	if err != nil {
		return err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return caseflow.Errorf(caseflow.EMalformed, "the request body is not valid JSON")
	}
	sum := sha256.Sum256(compact.Bytes())
	res, err := s.cases.Intake(c.Request().Context(), request.Viewer(c), rep, key, sum[:])
	if err != nil {
		return err
	}
	body := intakeResponse{caseJSON: toCaseJSON(res.Case), PossibleDuplicates: res.PossibleDuplicates}
	if body.PossibleDuplicates == nil {
		body.PossibleDuplicates = []string{}
	}
	body.AvailableEvents = s.availableEvents(res.Case, request.Viewer(c))
	code := http.StatusCreated
	if !res.Created {
		code = http.StatusOK
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/cases/"+res.Case.Code)
	return c.JSON(code, body)
}

type caseListResponse struct {
	Cases      []caseJSON `json:"cases"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// limitError checks the limit of a page, n as parsed with err: a whole
// number from 1 to max. It returns what is wrong, or nil.
func limitError(n int, err error, max int) *caseflow.FieldError {
	msg := fmt.Sprintf("must be a whole number from 1 to %d", max)
	if err != nil {
		return &caseflow.FieldError{Code: caseflow.FieldWrongType, Message: msg, Type: "integer"}
	}
	if n < 1 || n > max {
		return &caseflow.FieldError{Code: caseflow.FieldOutOfRange, Message: msg, Min: 1, Max: max}
	}
	return nil
}

func parseDateParam(fe caseflow.FieldErrors, name, v string, endOfDay bool) *time.Time {
	if v == "" {
		return nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, caseflow.Zone)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, v); err != nil {
			fe.Add(name, caseflow.FieldError{Code: caseflow.FieldNotADate, Message: "must be a date YYYY-MM-DD or an RFC 3339 time"})
			return nil
		}
		return &t
	}
	if endOfDay {
		t = t.AddDate(0, 0, 1)
	}
	return &t
}

func (s *API) listCases(c echo.Context) error {
	q := c.QueryParams()
	fe := caseflow.FieldErrors{}
	f := caseflow.CaseFilter{State: q.Get("state"), CommuneCode: q.Get("commune"), After: q.Get("cursor")}
	if code, err := caseflow.CheckCodeQuery(q.Get("code")); err != nil {
		return err
	} else {
		f.Code = code
	}
	f.ReceivedFrom = parseDateParam(fe, "received_from", q.Get("received_from"), false)
	f.ReceivedTo = parseDateParam(fe, "received_to", q.Get("received_to"), true)
	if o := q.Get("overdue"); o != "" {
		b, err := strconv.ParseBool(o)
		if err != nil {
			fe.Add("overdue", caseflow.FieldError{Code: caseflow.FieldWrongType, Message: "must be true or false", Type: "boolean"})
		}
		f.Overdue = b
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if bad := limitError(n, err, 200); bad != nil {
			fe.Add("limit", *bad)
		}
		f.Limit = n
	}
	if err := fe.Err(); err != nil {
		return err
	}
	page, err := s.cases.Cases(c.Request().Context(), request.Viewer(c), f)
	if err != nil {
		return err
	}
	out := caseListResponse{Cases: []caseJSON{}, NextCursor: page.NextCursor}
	for _, cs := range page.Cases {
		out.Cases = append(out.Cases, toCaseJSON(cs))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *API) getCase(c echo.Context) error {
	v := request.Viewer(c)
	cs, err := s.cases.Case(c.Request().Context(), v, c.Param("code"))
	if err != nil {
		return err
	}
	out := toCaseJSON(cs)
	out.AvailableEvents = s.availableEvents(cs, v)
	return c.JSON(http.StatusOK, out)
}
