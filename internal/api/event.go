package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/request"
)

type eventRequest struct {
	Event      string         `json:"event"`
	Version    int            `json:"version"`
	Note       string         `json:"note"`
	Data       map[string]any `json:"data"`
	AgencyCode string         `json:"agency_code"`
	OccurredAt string         `json:"occurred_at"`
	LateReason string         `json:"late_reason"`
}

// parseOccurred reads when an act happened: an RFC 3339 instant, or a date
// YYYY-MM-DD (the act happened that day in Vietnam).
func parseOccurred(s string) (*time.Time, bool, error) {
	if s == "" {
		return nil, false, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t, false, nil
	}
	if d, err := time.ParseInLocation("2006-01-02", s, caseflow.Zone); err == nil {
		return &d, true, nil
	}
	return nil, false, caseflow.FieldErrors{"occurred_at": {Code: caseflow.FieldNotADatetime,
		Message: "must be an RFC 3339 date and time or a date YYYY-MM-DD"}}.Err()
}

func (s *API) fireEvent(c echo.Context) error {
	var req eventRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	occurred, dateOnly, err := parseOccurred(req.OccurredAt)
	if err != nil {
		return err
	}
	v := request.Viewer(c)
	cs, err := s.cases.Fire(c.Request().Context(), v, c.Param("code"), caseflow.EventRequest{Event: req.Event,
		Version: req.Version, Note: req.Note, Data: req.Data, AgencyCode: req.AgencyCode,
		OccurredAt: occurred, OccurredDateOnly: dateOnly, LateReason: req.LateReason})
	if err != nil {
		return err
	}
	out := toCaseJSON(cs)
	out.AvailableEvents = s.availableEvents(cs, v)
	return c.JSON(http.StatusOK, out)
}

type actorJSON struct {
	Username   string `json:"username"`
	AgencyCode string `json:"agency_code"`
}

type historyJSON struct {
	Version    int            `json:"version"`
	Event      string         `json:"event"`
	From       string         `json:"from"`
	To         string         `json:"to"`
	At         time.Time      `json:"at"`
	RecordedAt time.Time      `json:"recorded_at"`
	Late       bool           `json:"late_entry"`
	LateReason string         `json:"late_reason,omitempty"`
	Actor      *actorJSON     `json:"actor"` // null for the system
	Note       string         `json:"note,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
}

func (s *API) caseHistory(c echo.Context) error {
	hs, err := s.cases.History(c.Request().Context(), request.Viewer(c), c.Param("code"))
	if err != nil {
		return err
	}
	out := make([]historyJSON, 0, len(hs))
	for _, h := range hs {
		j := historyJSON{Version: h.Version, Event: h.Event, From: h.From, To: h.To, At: local(h.At), RecordedAt: local(h.RecordedAt),
			Late: h.Late, LateReason: h.LateReason, Note: h.Note, Data: h.Data}
		if h.Username != "" {
			j.Actor = &actorJSON{Username: h.Username, AgencyCode: h.AgencyCode}
		}
		out = append(out, j)
	}
	return c.JSON(http.StatusOK, map[string]any{"history": out})
}

type workItemJSON struct {
	Code         string     `json:"code"`
	State        string     `json:"state"`
	ReceivedAt   time.Time  `json:"received_at"`
	WaitingSince time.Time  `json:"waiting_since"`
	DueAt        *time.Time `json:"due_at"`
	DueClock     string     `json:"due_clock"`
	Reason       string     `json:"reason"`
	ReferralID   *int64     `json:"referral_id"`
}

func (s *API) worklist(c echo.Context) error {
	items, err := s.cases.Worklist(c.Request().Context(), request.Viewer(c))
	if err != nil {
		return err
	}
	out := make([]workItemJSON, 0, len(items))
	for _, it := range items {
		out = append(out, workItemJSON{Code: it.Code, State: it.State, ReceivedAt: local(it.ReceivedAt),
			WaitingSince: local(it.WaitingSince), DueAt: localPtr(it.DueAt), DueClock: it.DueClock, Reason: it.Reason,
			ReferralID: it.ReferralID})
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

type referralRequest struct {
	Service    string `json:"service"`
	AgencyCode string `json:"agency_code"`
	Note       string `json:"note"`
}

type referralJSON struct {
	ID        int64      `json:"id"`
	CaseCode  string     `json:"case_code"`
	Service   string     `json:"service"`
	Status    string     `json:"status"`
	Agency    agencyJSON `json:"agency"`
	Note      string     `json:"note,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

func toReferralJSON(r *caseflow.Referral) referralJSON {
	return referralJSON{ID: r.ID, CaseCode: r.CaseCode, Service: r.Service, Status: r.Status,
		Agency: agencyJSON{Code: r.Agency.Code, Name: r.Agency.Name, Type: string(r.Agency.Type)},
		Note:   r.Note, CreatedAt: local(r.CreatedAt), UpdatedAt: local(r.UpdatedAt)}
}

func (s *API) createReferral(c echo.Context) error {
	var req referralRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r, err := s.cases.Refer(c.Request().Context(), request.Viewer(c), c.Param("code"), req.Service, req.AgencyCode, req.Note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toReferralJSON(r))
}

func (s *API) listReferrals(c echo.Context) error {
	rs, err := s.cases.Referrals(c.Request().Context(), request.Viewer(c), c.Param("code"))
	if err != nil {
		return err
	}
	out := make([]referralJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, toReferralJSON(r))
	}
	return c.JSON(http.StatusOK, map[string]any{"referrals": out})
}

type noteRequest struct {
	Note string `json:"note"`
}

func (s *API) answerReferral(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return caseflow.Errorf(caseflow.ENotFound, "no such referral")
	}
	var req noteRequest
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	r, err := s.cases.RespondReferral(c.Request().Context(), request.Viewer(c), id, c.Param("action"), req.Note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toReferralJSON(r))
}

type extensionJSON struct {
	Duration    string    `json:"duration,omitempty"`
	Total       string    `json:"total,omitempty"`
	Step        string    `json:"step,omitempty"`
	GrantedBy   string    `json:"granted_by,omitempty"`
	Decision    string    `json:"decision,omitempty"`
	RequestedOn string    `json:"requested_on,omitempty"`
	LateRequest bool      `json:"late_request"`
	Reason      string    `json:"reason"`
	LegalBasis  string    `json:"legal_basis"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
	DueBefore   time.Time `json:"due_before"`
	DueAfter    time.Time `json:"due_after"`
}

type clockJSON struct {
	Clock            string          `json:"clock"`
	Instance         string          `json:"instance,omitempty"`
	Label            any             `json:"label"`
	Status           string          `json:"status"`
	Responsible      string          `json:"responsible"`
	AgencyCode       string          `json:"agency_code,omitempty"`
	Limit            string          `json:"limit"`
	StartedAt        time.Time       `json:"started_at"`
	DueAt            time.Time       `json:"due_at"`
	WarnAt           time.Time       `json:"warn_at"`
	RemainingSeconds int64           `json:"remaining_seconds"`
	LegalBasis       string          `json:"legal_basis"`
	CalendarPolicy   string          `json:"calendar_policy"`
	Extensions       []extensionJSON `json:"extensions"`
	BreachedAt       *time.Time      `json:"breached_at"`
	StoppedAt        *time.Time      `json:"stopped_at"`
}

func (s *API) toClockJSON(cs *caseflow.Case, k caseflow.Clock) clockJSON {
	out := clockJSON{Clock: k.Clock, Instance: k.Instance, Status: k.Status, Responsible: string(k.Responsible),
		AgencyCode: k.AgencyCode, Limit: strconv.Itoa(k.Amount) + " " + k.Rule, StartedAt: local(k.StartedAt),
		DueAt: local(k.DueAt), WarnAt: local(k.WarnAt), LegalBasis: k.Basis, CalendarPolicy: k.Policy, Extensions: []extensionJSON{},
		BreachedAt: localPtr(k.BreachedAt), StoppedAt: localPtr(k.StoppedAt)}
	if def, ok := s.flows.Get(cs.WorkflowID, cs.WorkflowVersion); ok {
		if wc, ok := def.Clock(k.Clock); ok {
			out.Label = wc.Label
		}
	}
	if k.Status == "running" || (k.Status == "breached" && k.StoppedAt == nil) {
		out.RemainingSeconds = int64(time.Until(k.DueAt).Seconds())
	}
	for _, e := range k.Extensions {
		j := extensionJSON{Step: e.Step, GrantedBy: e.GrantedBy, Decision: e.Decision, RequestedOn: e.RequestedOn, LateRequest: e.LateRequest,
			Reason: e.Reason, LegalBasis: e.LegalBasis, By: e.By, At: local(e.At), DueBefore: local(e.DueBefore), DueAfter: local(e.DueAfter)}
		if e.TotalRule != "" {
			j.Total = strconv.Itoa(e.TotalAmount) + " " + e.TotalRule
		} else {
			j.Duration = strconv.Itoa(e.Amount) + " " + e.Rule
		}
		out.Extensions = append(out.Extensions, j)
	}
	return out
}

func (s *API) listClocks(c echo.Context) error {
	cs, ks, err := s.cases.Clocks(c.Request().Context(), request.Viewer(c), c.Param("code"))
	if err != nil {
		return err
	}
	out := make([]clockJSON, 0, len(ks))
	for _, k := range ks {
		out = append(out, s.toClockJSON(cs, k))
	}
	return c.JSON(http.StatusOK, map[string]any{"clocks": out})
}

type extensionRequest struct {
	Duration    string `json:"duration"`
	Total       string `json:"total"`
	Step        string `json:"step"`
	Reason      string `json:"reason"`
	LegalBasis  string `json:"legal_basis"`
	Decision    string `json:"decision"`
	RequestedOn string `json:"requested_on"`
	Instance    string `json:"instance"`
}

func (s *API) extendClock(c echo.Context) error {
	var req extensionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	v := request.Viewer(c)
	cs, k, err := s.cases.Extend(c.Request().Context(), v, c.Param("code"), casework.ExtensionRequest{Clock: c.Param("clock"),
		Instance: req.Instance, Duration: req.Duration, Total: req.Total, Step: req.Step, Reason: req.Reason, LegalBasis: req.LegalBasis,
		Decision: req.Decision, RequestedOn: req.RequestedOn})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toClockJSON(cs, *k))
}

type notificationJSON struct {
	ID         int64          `json:"id"`
	Kind       string         `json:"kind"`
	CaseCode   string         `json:"case_code"`
	Clock      string         `json:"clock"`
	DueAt      *time.Time     `json:"due_at"`
	LegalBasis string         `json:"legal_basis"`
	Message    string         `json:"message"`
	CreatedAt  time.Time      `json:"created_at"`
	ReadAt     *time.Time     `json:"read_at"`
	Deliveries []deliveryJSON `json:"deliveries"`
}

type deliveryJSON struct {
	Channel   string     `json:"channel"`
	Address   string     `json:"address"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	SentAt    *time.Time `json:"sent_at"`
}

func (s *API) listNotifications(c echo.Context) error {
	ns, unread, err := s.cases.Notifications(c.Request().Context(), request.Viewer(c), 100)
	if err != nil {
		return err
	}
	out := make([]notificationJSON, 0, len(ns))
	for _, n := range ns {
		j := notificationJSON{ID: n.ID, Kind: n.Kind, CaseCode: n.CaseCode, Clock: n.Clock, LegalBasis: n.LegalBasis,
			Message: n.Message, CreatedAt: local(n.CreatedAt), ReadAt: localPtr(n.ReadAt), Deliveries: []deliveryJSON{}}
		if !n.DueAt.IsZero() {
			d := local(n.DueAt)
			j.DueAt = &d
		}
		for _, d := range n.Deliveries {
			j.Deliveries = append(j.Deliveries, deliveryJSON{Channel: d.Channel, Address: d.Address, Status: d.Status,
				Attempts: d.Attempts, LastError: d.LastError, SentAt: localPtr(d.SentAt)})
		}
		out = append(out, j)
	}
	return c.JSON(http.StatusOK, map[string]any{"notifications": out, "unread": unread})
}

func (s *API) acknowledgeNotification(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return caseflow.Errorf(caseflow.ENotFound, "no such notification")
	}
	var req struct {
		Note string `json:"note"`
	}
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	if err := s.cases.AcknowledgeNotification(c.Request().Context(), request.Viewer(c), id, req.Note); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type contactJSON struct {
	Channel   string   `json:"channel"`
	Address   string   `json:"address"`
	Kinds     []string `json:"kinds"`
	QuietFrom *int     `json:"quiet_from,omitempty"`
	QuietTo   *int     `json:"quiet_to,omitempty"`
}

func contactsOut(cs []caseflow.ContactPoint) map[string]any {
	out := make([]contactJSON, 0, len(cs))
	for _, c := range cs {
		kinds := c.Kinds
		if kinds == nil {
			kinds = []string{}
		}
		out = append(out, contactJSON{Channel: c.Channel, Address: c.Address, Kinds: kinds, QuietFrom: c.QuietFrom, QuietTo: c.QuietTo})
	}
	return map[string]any{"contacts": out}
}

// getContacts answers GET /me/contacts and GET /admin/agencies/{code}/contacts.
func (s *API) getContacts(c echo.Context) error {
	cs, err := s.cases.ContactPoints(c.Request().Context(), request.Viewer(c), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactsOut(cs))
}

// putContacts answers PUT /me/contacts and PUT /admin/agencies/{code}/contacts:
// the whole list, replaced.
func (s *API) putContacts(c echo.Context) error {
	var req struct {
		Contacts []contactJSON `json:"contacts"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cs := make([]caseflow.ContactPoint, 0, len(req.Contacts))
	for _, x := range req.Contacts {
		cs = append(cs, caseflow.ContactPoint{Channel: x.Channel, Address: x.Address, Kinds: x.Kinds, QuietFrom: x.QuietFrom, QuietTo: x.QuietTo})
	}
	v := request.Viewer(c)
	if err := s.cases.SetContactPoints(c.Request().Context(), v, c.Param("code"), cs); err != nil {
		return err
	}
	out, err := s.cases.ContactPoints(c.Request().Context(), v, c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactsOut(out))
}

func (s *API) readNotification(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return caseflow.Errorf(caseflow.ENotFound, "no such notification")
	}
	if err := s.cases.MarkNotificationRead(c.Request().Context(), request.Viewer(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type processingJSON struct {
	LegalBasis              string     `json:"legal_basis"`
	ChildConsent            string     `json:"child_consent"`
	GuardianConsent         string     `json:"guardian_consent"`
	RepresentativeIsSuspect bool       `json:"representative_is_suspect"`
	ConsentNote             string     `json:"consent_note"`
	Recorded                bool       `json:"recorded"`
	UpdatedAt               *time.Time `json:"updated_at"`
	UpdatedBy               string     `json:"updated_by"`
}

func toProcessingJSON(p *caseflow.Processing) processingJSON {
	out := processingJSON{LegalBasis: p.LegalBasis, ChildConsent: p.ChildConsent, GuardianConsent: p.GuardianConsent,
		RepresentativeIsSuspect: p.RepresentativeIsSuspect, ConsentNote: p.ConsentNote, Recorded: p.Recorded, UpdatedBy: p.UpdatedBy}
	if p.Recorded {
		at := local(p.UpdatedAt)
		out.UpdatedAt = &at
	}
	return out
}

func (s *API) getProcessing(c echo.Context) error {
	p, err := s.cases.Processing(c.Request().Context(), request.Viewer(c), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toProcessingJSON(p))
}

type processingRequest struct {
	LegalBasis              string `json:"legal_basis"`
	ChildConsent            string `json:"child_consent"`
	GuardianConsent         string `json:"guardian_consent"`
	RepresentativeIsSuspect bool   `json:"representative_is_suspect"`
	ConsentNote             string `json:"consent_note"`
}

// putProcessing records a case's legal basis and consents, as a whole.
func (s *API) putProcessing(c echo.Context) error {
	var req processingRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	v := request.Viewer(c)
	err := s.cases.SetProcessing(c.Request().Context(), v, c.Param("code"), caseflow.Processing{LegalBasis: req.LegalBasis,
		ChildConsent: req.ChildConsent, GuardianConsent: req.GuardianConsent, RepresentativeIsSuspect: req.RepresentativeIsSuspect,
		ConsentNote: req.ConsentNote})
	if err != nil {
		return err
	}
	return s.getProcessing(c)
}

type readJSON struct {
	At         time.Time `json:"at"`
	Username   string    `json:"username"`
	AgencyCode string    `json:"agency_code"`
	Access     string    `json:"access"`
}

// caseReads lists who read the personal data of a case, for the agency
// that filed it and for supervisors.
func (s *API) caseReads(c echo.Context) error {
	rs, err := s.cases.Reads(c.Request().Context(), request.Viewer(c), c.Param("code"))
	if err != nil {
		return err
	}
	out := make([]readJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, readJSON{At: local(r.At), Username: r.Username, AgencyCode: r.AgencyCode, Access: string(r.Access)})
	}
	return c.JSON(http.StatusOK, map[string]any{"reads": out})
}

type subjectRequestJSON struct {
	ID               int64      `json:"id"`
	CaseCode         string     `json:"case_code"`
	Kind             string     `json:"kind"`
	RequestedAt      time.Time  `json:"requested_at"`
	RecordedBy       string     `json:"recorded_by"`
	Requester        string     `json:"requester"`
	Details          string     `json:"details"`
	AcknowledgeDueAt time.Time  `json:"acknowledge_due_at"`
	RespondDueAt     time.Time  `json:"respond_due_at"`
	Decision         string     `json:"decision"`
	DecidedAt        *time.Time `json:"decided_at"`
	DecidedBy        string     `json:"decided_by"`
	RefusalReason    string     `json:"refusal_reason"`
	ExportedAt       *time.Time `json:"exported_at"`
}

func toSubjectRequestJSON(r *caseflow.SubjectRequest) subjectRequestJSON {
	return subjectRequestJSON{ID: r.ID, CaseCode: r.CaseCode, Kind: r.Kind, RequestedAt: local(r.RequestedAt), RecordedBy: r.RecordedBy,
		Requester: r.Requester, Details: r.Details, AcknowledgeDueAt: local(r.AcknowledgeDueAt), RespondDueAt: local(r.RespondDueAt),
		Decision: r.Decision, DecidedAt: localPtr(r.DecidedAt), DecidedBy: r.DecidedBy, RefusalReason: r.RefusalReason,
		ExportedAt: localPtr(r.ExportedAt)}
}

type subjectRequestBody struct {
	Kind        string `json:"kind"`
	RequestedAt string `json:"requested_at"`
	Requester   string `json:"requester"`
	Details     string `json:"details"`
}

func (s *API) addSubjectRequest(c echo.Context) error {
	var req subjectRequestBody
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r := &caseflow.SubjectRequest{Kind: req.Kind, Requester: req.Requester, Details: req.Details}
	if req.RequestedAt != "" {
		t, err := time.Parse(time.RFC3339, req.RequestedAt)
		if err != nil {
			return caseflow.InvalidField("requested_at", caseflow.FieldError{Code: caseflow.FieldNotADatetime, Message: "must be an RFC 3339 time with a zone"})
		}
		r.RequestedAt = t
	}
	out, err := s.cases.AddSubjectRequest(c.Request().Context(), request.Viewer(c), c.Param("code"), r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toSubjectRequestJSON(out))
}

func (s *API) listSubjectRequests(c echo.Context) error {
	rs, err := s.cases.SubjectRequests(c.Request().Context(), request.Viewer(c), c.Param("code"))
	if err != nil {
		return err
	}
	out := make([]subjectRequestJSON, 0, len(rs))
	for i := range rs {
		out = append(out, toSubjectRequestJSON(&rs[i]))
	}
	return c.JSON(http.StatusOK, map[string]any{"requests": out})
}

func subjectRequestID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, caseflow.Errorf(caseflow.ENotFound, "no such request")
	}
	return id, nil
}

func (s *API) decideSubjectRequest(c echo.Context) error {
	id, err := subjectRequestID(c)
	if err != nil {
		return err
	}
	approve, reason, err := decisionOf(c)
	if err != nil {
		return err
	}
	r, err := s.cases.DecideSubjectRequest(c.Request().Context(), request.Viewer(c), c.Param("code"), id, approve, reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toSubjectRequestJSON(r))
}

// exportSubjectRequest answers an approved access request with a file of
// the child's data.
func (s *API) exportSubjectRequest(c echo.Context) error {
	id, err := subjectRequestID(c)
	if err != nil {
		return err
	}
	x, err := s.cases.ExportSubjectRequest(c.Request().Context(), request.Viewer(c), c.Param("code"), id)
	if err != nil {
		return err
	}
	name, file := x.File(id)
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	return c.JSON(http.StatusOK, file)
}

type correctionBody struct {
	Child int    `json:"child"`
	Field string `json:"field"`
	Value string `json:"value"`
}

// correctChild applies an approved correction request to a child's record.
func (s *API) correctChild(c echo.Context) error {
	id, err := subjectRequestID(c)
	if err != nil {
		return err
	}
	var req correctionBody
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	v := request.Viewer(c)
	if err := s.cases.CorrectChild(c.Request().Context(), v, c.Param("code"), id, req.Child, req.Field, req.Value); err != nil {
		return err
	}
	cs, err := s.cases.Case(c.Request().Context(), v, c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCaseJSON(cs))
}
