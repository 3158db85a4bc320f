package api

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/account"
	"caseflow/internal/caseflow"
	"caseflow/internal/request"
)

// RequireRole lets only the given role through.
func RequireRole(role caseflow.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if request.Viewer(c).Role != role {
				return caseflow.Errorf(caseflow.EForbidden, "only %s users may do this", role)
			}
			return next(c)
		}
	}
}

type userJSON struct {
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Role        string     `json:"role"`
	Agency      agencyJSON `json:"agency"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"created_at"`
	// AwaitingApproval: the account's role reads personal data and a
	// second administrator has not approved it; it cannot log in.
	AwaitingApproval bool       `json:"awaiting_approval"`
	PendingGrant     *grantJSON `json:"pending_grant"`
}

type grantJSON struct {
	ID          int64      `json:"id"`
	Username    string     `json:"username"`
	Role        string     `json:"role"`
	AgencyCode  string     `json:"agency_code"`
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	Decision    string     `json:"decision"`
	DecidedBy   string     `json:"decided_by"`
	DecidedAt   *time.Time `json:"decided_at"`
	Reason      string     `json:"reason"`
}

func toGrantJSON(g *caseflow.RoleGrant) *grantJSON {
	if g == nil {
		return nil
	}
	return &grantJSON{ID: g.ID, Username: g.Username, Role: string(g.Role), AgencyCode: g.AgencyCode, RequestedBy: g.RequestedBy,
		RequestedAt: local(g.RequestedAt), Decision: g.Decision, DecidedBy: g.DecidedBy, DecidedAt: localPtr(g.DecidedAt), Reason: g.Reason}
}

func toUserJSON(u *caseflow.User) userJSON {
	return userJSON{Username: u.Username, DisplayName: u.DisplayName, Role: string(u.Role), Disabled: u.Disabled,
		Agency:    agencyJSON{Code: u.Agency.Code, Name: u.Agency.Name, Type: string(u.Agency.Type)},
		CreatedAt: local(u.CreatedAt), AwaitingApproval: u.AwaitingApproval, PendingGrant: toGrantJSON(u.PendingGrant)}
}

func (s *API) listGrants(c echo.Context) error {
	gs, err := s.accounts.Grants(c.Request().Context(), request.Viewer(c))
	if err != nil {
		return err
	}
	out := make([]*grantJSON, 0, len(gs))
	for i := range gs {
		out = append(out, toGrantJSON(&gs[i]))
	}
	return c.JSON(http.StatusOK, map[string]any{"grants": out})
}

// decisionOf reads an approve or refuse route (its :decision) and the
// optional body {"reason"} that a refusal needs.
func decisionOf(c echo.Context) (approve bool, reason string, err error) {
	var req struct {
		Reason string `json:"reason"`
	}
	raw, err := readBody(c)
	if err != nil {
		return false, "", err
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := decodeBytes(raw, &req); err != nil {
			return false, "", err
		}
	}
	switch c.Param("decision") {
	case "approve":
		return true, req.Reason, nil
	case "refuse":
		return false, req.Reason, nil
	}
	return false, "", caseflow.Errorf(caseflow.ENotFound, "no such decision")
}

// decideGrant approves or refuses a waiting grant (the route's :decision).
func (s *API) decideGrant(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return caseflow.Errorf(caseflow.ENotFound, "no such grant")
	}
	approve, reason, err := decisionOf(c)
	if err != nil {
		return err
	}
	g, err := s.accounts.DecideGrant(c.Request().Context(), request.Viewer(c), id, approve, reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toGrantJSON(g))
}

func (s *API) listUsers(c echo.Context) error {
	us, err := s.accounts.Users(c.Request().Context(), request.Viewer(c))
	if err != nil {
		return err
	}
	out := make([]userJSON, 0, len(us))
	for _, u := range us {
		out = append(out, toUserJSON(u))
	}
	return c.JSON(http.StatusOK, map[string]any{"users": out})
}

type createUserRequest struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	AgencyCode  string `json:"agency_code"`
	Password    string `json:"password"`
}

func (s *API) createUser(c echo.Context) error {
	var req createUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.accounts.CreateUser(c.Request().Context(), request.Viewer(c), account.NewUser{Username: req.Username,
		DisplayName: req.DisplayName, Role: caseflow.Role(req.Role), AgencyCode: req.AgencyCode, Password: req.Password})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toUserJSON(u))
}

type updateUserRequest struct {
	DisplayName *string `json:"display_name"`
	Role        *string `json:"role"`
	AgencyCode  *string `json:"agency_code"`
	Disabled    *bool   `json:"disabled"`
	Password    *string `json:"password"`
}

func (s *API) updateUser(c echo.Context) error {
	var req updateUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	e := account.UserEdit{DisplayName: req.DisplayName, AgencyCode: req.AgencyCode, Disabled: req.Disabled, Password: req.Password}
	if req.Role != nil {
		r := caseflow.Role(*req.Role)
		e.Role = &r
	}
	u, err := s.accounts.UpdateUser(c.Request().Context(), request.Viewer(c), c.Param("username"), e)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUserJSON(u))
}

type holidayJSON struct {
	Date string `json:"date"`
	Name string `json:"name"`
	// Working marks a weekend day made a working day by a swap.
	Working  bool   `json:"working"`
	Verified bool   `json:"verified"`
	Source   string `json:"source"`
}

func (s *API) listHolidays(c echo.Context) error {
	hs, err := s.cases.Holidays(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]holidayJSON, 0, len(hs))
	for _, h := range hs {
		out = append(out, holidayJSON{Date: h.Date.Format("2006-01-02"), Name: h.Name, Working: h.Working, Verified: h.Verified, Source: h.Source})
	}
	return c.JSON(http.StatusOK, map[string]any{"holidays": out})
}

func holidayDate(c echo.Context) (time.Time, error) {
	d, err := time.Parse("2006-01-02", c.Param("date"))
	if err != nil {
		return d, caseflow.InvalidField("date", caseflow.FieldError{Code: caseflow.FieldNotADate, Message: "must be YYYY-MM-DD"})
	}
	return d, nil
}

func (s *API) putHoliday(c echo.Context) error {
	d, err := holidayDate(c)
	if err != nil {
		return err
	}
	var req struct {
		Name    string `json:"name"`
		Working bool   `json:"working"`
		Source  string `json:"source"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	h := caseflow.Holiday{Date: d, Name: req.Name, Working: req.Working, Source: req.Source}
	if err := s.cases.PutHoliday(c.Request().Context(), request.Viewer(c), h); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, holidayJSON{Date: d.Format("2006-01-02"), Name: strings.TrimSpace(req.Name), Working: req.Working,
		Verified: true, Source: strings.TrimSpace(req.Source)})
}

func (s *API) deleteHoliday(c echo.Context) error {
	d, err := holidayDate(c)
	if err != nil {
		return err
	}
	if err := s.cases.DeleteHoliday(c.Request().Context(), request.Viewer(c), d); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type dataBreachJSON struct {
	ID                 int64      `json:"id"`
	DetectedAt         time.Time  `json:"detected_at"`
	RecordedAt         time.Time  `json:"recorded_at"`
	RecordedBy         string     `json:"recorded_by"`
	Description        string     `json:"description"`
	DataCategories     []string   `json:"data_categories"`
	SubjectsEstimate   *int       `json:"subjects_estimate"`
	RecordsEstimate    *int       `json:"records_estimate"`
	Consequences       string     `json:"consequences"`
	Measures           string     `json:"measures"`
	Contact            string     `json:"contact"`
	NotifyDueAt        time.Time  `json:"notify_due_at"`
	NotifiedAt         *time.Time `json:"notified_at"`
	NotifiedBy         string     `json:"notified_by"`
	AuthorityReference string     `json:"authority_reference"`
}

func toDataBreachJSON(b *caseflow.DataBreach) dataBreachJSON {
	return dataBreachJSON{ID: b.ID, DetectedAt: local(b.DetectedAt), RecordedAt: local(b.RecordedAt), RecordedBy: b.RecordedBy,
		Description: b.Description, DataCategories: b.DataCategories, SubjectsEstimate: b.SubjectsEstimate, RecordsEstimate: b.RecordsEstimate,
		Consequences: b.Consequences, Measures: b.Measures, Contact: b.Contact, NotifyDueAt: local(b.NotifyDueAt),
		NotifiedAt: localPtr(b.NotifiedAt), NotifiedBy: b.NotifiedBy, AuthorityReference: b.AuthorityReference}
}

func (s *API) listBreaches(c echo.Context) error {
	bs, err := s.accounts.Breaches(c.Request().Context(), request.Viewer(c))
	if err != nil {
		return err
	}
	out := make([]dataBreachJSON, 0, len(bs))
	for i := range bs {
		out = append(out, toDataBreachJSON(&bs[i]))
	}
	return c.JSON(http.StatusOK, map[string]any{"breaches": out})
}

type breachRequest struct {
	DetectedAt       string   `json:"detected_at"`
	Description      string   `json:"description"`
	DataCategories   []string `json:"data_categories"`
	SubjectsEstimate *int     `json:"subjects_estimate"`
	RecordsEstimate  *int     `json:"records_estimate"`
	Consequences     string   `json:"consequences"`
	Measures         string   `json:"measures"`
	Contact          string   `json:"contact"`
}

func (s *API) recordBreach(c echo.Context) error {
	var req breachRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	b := &caseflow.DataBreach{Description: req.Description, DataCategories: req.DataCategories, SubjectsEstimate: req.SubjectsEstimate,
		RecordsEstimate: req.RecordsEstimate, Consequences: req.Consequences, Measures: req.Measures, Contact: req.Contact}
	if req.DetectedAt != "" {
		t, err := time.Parse(time.RFC3339, req.DetectedAt)
		if err != nil {
			return caseflow.InvalidField("detected_at", caseflow.FieldError{Code: caseflow.FieldNotADatetime, Message: "must be an RFC 3339 time with a zone"})
		}
		b.DetectedAt = t
	}
	out, err := s.accounts.RecordBreach(c.Request().Context(), request.Viewer(c), b)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toDataBreachJSON(out))
}

type breachNoticeRequest struct {
	NotifiedAt         string `json:"notified_at"`
	AuthorityReference string `json:"authority_reference"`
}

func (s *API) breachNotified(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return caseflow.Errorf(caseflow.ENotFound, "no such breach")
	}
	var req breachNoticeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var at time.Time
	if req.NotifiedAt != "" {
		if at, err = time.Parse(time.RFC3339, req.NotifiedAt); err != nil {
			return caseflow.InvalidField("notified_at", caseflow.FieldError{Code: caseflow.FieldNotADatetime, Message: "must be an RFC 3339 time with a zone"})
		}
	}
	b, err := s.accounts.BreachNotified(c.Request().Context(), request.Viewer(c), id, at, req.AuthorityReference)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toDataBreachJSON(b))
}
