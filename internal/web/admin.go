package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/account"
	"caseflow/internal/caseflow"
	"caseflow/internal/catalog"
	"caseflow/internal/request"
)

// Administration pages: accounts (create, disable, reset password, role,
// agency) and public holidays, over the same storage calls as the API.

type userRowView struct {
	Username, DisplayName, Role, Agency, AgencyCode string
	Disabled, Awaiting                              bool
	Pending                                         string // the grant that waits, in words
}

// grantView is a grant waiting for a second administrator, with the
// forms that decide it (none for the administrator who asked).
type grantView struct {
	ID, Username, Role, AgencyCode, RequestedBy, RequestedAt string
	Mine                                                     bool
	CSRF                                                     string
}

type usersView struct {
	Users  []userRowView
	Grants []grantView
	Create formView
}

func (w *UI) roleOptions(lang, current string) []option {
	out := make([]option, 0, len(caseflow.Roles))
	for _, r := range caseflow.Roles {
		out = append(out, option{Value: string(r), Text: catalog.Label(lang, catalog.Role, string(r)), Selected: string(r) == current})
	}
	return out
}

func (w *UI) agencyOptions(ctx context.Context, current string) []option {
	dir := w.directory(ctx)
	out := make([]option, 0, len(dir.agencies))
	for _, a := range dir.agencies {
		out = append(out, option{Value: a.Code, Text: a.Name + " (" + a.Code + ")", Selected: a.Code == current})
	}
	return out
}

// collectErrors lists the errors of a form's fields for its summary.
func collectErrors(fields []field) []errItem {
	var out []errItem
	for _, f := range fields {
		if f.Err != "" {
			out = append(out, errItem{ID: f.ID, Label: f.Label, Text: f.Err})
		}
	}
	return out
}

func (w *UI) usersPage(c echo.Context) error {
	return w.renderUsers(c, http.StatusOK, nil, nil)
}

func (w *UI) renderUsers(c echo.Context, code int, values url.Values, errs map[string]string, opts ...pageOption) error {
	lang := langOf(c)
	us, err := w.accounts.Users(c.Request().Context(), request.Viewer(c))
	if err != nil {
		return err
	}
	view := usersView{}
	token, _ := c.Get(csrfKey).(string)
	v := request.Viewer(c)
	for _, u := range us {
		row := userRowView{Username: u.Username, DisplayName: u.DisplayName,
			Role: catalog.Label(lang, catalog.Role, string(u.Role)), Agency: u.Agency.Name, AgencyCode: u.Agency.Code, Disabled: u.Disabled,
			Awaiting: u.AwaitingApproval}
		if g := u.PendingGrant; g != nil {
			row.Pending = tr(lang, "admin.grant_pending", catalog.Label(lang, catalog.Role, string(g.Role)), g.AgencyCode)
			view.Grants = append(view.Grants, grantView{ID: strconv.FormatInt(g.ID, 10), Username: u.Username,
				Role: catalog.Label(lang, catalog.Role, string(g.Role)), AgencyCode: g.AgencyCode, RequestedBy: g.RequestedBy,
				RequestedAt: formTime(g.RequestedAt), Mine: g.RequestedBy == v.Username || u.Username == v.Username, CSRF: token})
		}
		view.Users = append(view.Users, row)
	}
	f := formView{Key: "create", ID: "create", Title: tr(lang, "admin.create_user"), Action: "/admin/users",
		Submit: tr(lang, "admin.create"), Open: errs != nil}
	f.CSRF, _ = c.Get(csrfKey).(string)
	f.Fields = []field{
		{ID: "u-username", Name: "username", Type: "text", Label: tr(lang, "admin.username"), Required: true, Auto: "off",
			Value: values.Get("username"), Err: errs["username"], Hint: tr(lang, "admin.username_hint")},
		{ID: "u-display", Name: "display_name", Type: "text", Label: tr(lang, "admin.display_name"), Value: values.Get("display_name"), Err: errs["display_name"]},
		{ID: "u-role", Name: "role", Type: "select", Label: tr(lang, "admin.role"), Required: true,
			Options: w.roleOptions(lang, values.Get("role")), Err: errs["role"]},
		{ID: "u-agency", Name: "agency_code", Type: "select", Label: tr(lang, "admin.agency"), Required: true,
			Options: w.agencyOptions(c.Request().Context(), values.Get("agency_code")), Err: errs["agency_code"]},
		{ID: "u-password", Name: "password", Type: "password", Label: tr(lang, "admin.password"), Required: true, Auto: "new-password",
			Err: errs["password"], Hint: tr(lang, "admin.password_hint")},
	}
	f.Errors = collectErrors(f.Fields)
	view.Create = f
	return w.render(c, code, "users", tr(lang, "title.users"), view, append(opts, withHere("/admin/users"))...)
}

func (w *UI) userCreate(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	n := account.NewUser{Username: form.Get("username"), DisplayName: form.Get("display_name"),
		Role: caseflow.Role(form.Get("role")), AgencyCode: form.Get("agency_code"), Password: form.Get("password")}
	u, err := w.accounts.CreateUser(c.Request().Context(), request.Viewer(c), n)
	if errs, code, ok := formErrors(langOf(c), err); ok {
		return w.renderUsers(c, code, form, errs)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+url.PathEscape(u.Username)+"?msg=created")
}

// formErrors turns a service's field errors into messages next to the
// form's fields, with the status to answer; ok is false for other errors.
func formErrors(lang string, err error) (map[string]string, int, bool) {
	de, isDomain := err.(*caseflow.Error)
	if !isDomain || len(de.Fields) == 0 {
		return nil, 0, false
	}
	errs := map[string]string{}
	for k, m := range de.Fields {
		errs[k] = fieldMessage(lang, k, m)
	}
	return errs, request.Status(de.Code), true
}

type userView struct {
	Username string
	Disabled bool
	Edit     formView
	Password formView
}

func (w *UI) userPage(c echo.Context) error {
	var opts []pageOption
	if m := c.QueryParam("msg"); m != "" {
		if s, ok := lookup(langOf(c), "admin.msg."+m); ok {
			opts = append(opts, withNotice(s, toneOK))
		}
	}
	return w.renderUser(c, http.StatusOK, "", nil, nil, opts...)
}

func (w *UI) renderUser(c echo.Context, code int, op string, values url.Values, errs map[string]string, opts ...pageOption) error {
	lang := langOf(c)
	u, err := w.accounts.User(c.Request().Context(), request.Viewer(c), c.Param("username"))
	if err != nil {
		return err
	}
	token, _ := c.Get(csrfKey).(string)
	if op != "update" {
		values = url.Values{"display_name": {u.DisplayName}, "role": {string(u.Role)}, "agency_code": {u.Agency.Code}}
		if u.Disabled {
			values.Set("disabled", "1")
		}
	}
	view := userView{Username: u.Username, Disabled: u.Disabled}
	action := "/admin/users/" + url.PathEscape(u.Username)
	view.Edit = formView{ID: "edit", Title: tr(lang, "admin.edit_user"), Action: action, Submit: tr(lang, "admin.save"), Open: true,
		CSRF: token, Hidden: []fact{{"op", "update"}}}
	view.Edit.Fields = []field{
		{ID: "e-display", Name: "display_name", Type: "text", Label: tr(lang, "admin.display_name"), Value: values.Get("display_name"), Err: errs["display_name"]},
		{ID: "e-role", Name: "role", Type: "select", Label: tr(lang, "admin.role"), Required: true, Options: w.roleOptions(lang, values.Get("role")), Err: errs["role"]},
		{ID: "e-agency", Name: "agency_code", Type: "select", Label: tr(lang, "admin.agency"), Required: true,
			Options: w.agencyOptions(c.Request().Context(), values.Get("agency_code")), Err: errs["agency_code"]},
		{ID: "e-disabled", Name: "disabled", Type: "checkbox", Label: tr(lang, "admin.account_state"), Err: errs["disabled"],
			Options: []option{{Value: "1", Text: tr(lang, "admin.disabled_box"), Selected: values.Get("disabled") != ""}}},
	}
	if op == "update" {
		view.Edit.Errors = collectErrors(view.Edit.Fields)
	}
	view.Password = formView{ID: "password", Title: tr(lang, "admin.reset_password"), Action: action, Submit: tr(lang, "admin.reset_password"),
		Open: op == "password", CSRF: token, Hidden: []fact{{"op", "password"}}}
	view.Password.Fields = []field{{ID: "p-password", Name: "password", Type: "password", Label: tr(lang, "admin.new_password"),
		Required: true, Auto: "new-password", Err: errs["password"], Hint: tr(lang, "admin.password_hint")}}
	if op == "password" {
		view.Password.Errors = collectErrors(view.Password.Fields)
	}
	return w.render(c, code, "user", tr(lang, "title.user", u.Username), view, append(opts, withHere(action))...)
}

func (w *UI) userUpdate(c echo.Context) error {
	username := c.Param("username")
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	op := form.Get("op")
	var e account.UserEdit
	msg := "saved"
	switch op {
	case "password":
		pw := form.Get("password")
		e.Password, msg = &pw, "password"
	case "update":
		display, agency := form.Get("display_name"), form.Get("agency_code")
		role := caseflow.Role(form.Get("role"))
		disabled := form.Get("disabled") != ""
		e = account.UserEdit{DisplayName: &display, Role: &role, AgencyCode: &agency, Disabled: &disabled}
	default:
		return caseflow.Errorf(caseflow.ENotFound, "no such operation")
	}
	_, err = w.accounts.UpdateUser(c.Request().Context(), request.Viewer(c), username, e)
	if errs, code, ok := formErrors(langOf(c), err); ok {
		return w.renderUser(c, code, op, form, errs)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+url.PathEscape(username)+"?msg="+msg)
}

type holidayView struct {
	Date, Day, Name, Weekday string
	Working                  bool
}

type holidaysView struct {
	Year     int
	Years    []int
	Holidays []holidayView
	Add      formView
	CSRF     string
}

func (w *UI) holidaysPage(c echo.Context) error {
	var opts []pageOption
	if m := c.QueryParam("msg"); m != "" {
		if s, ok := lookup(langOf(c), "admin.msg."+m); ok {
			opts = append(opts, withNotice(s, toneOK))
		}
	}
	return w.renderHolidays(c, http.StatusOK, nil, nil, opts...)
}

func (w *UI) renderHolidays(c echo.Context, code int, values url.Values, errs map[string]string, opts ...pageOption) error {
	lang := langOf(c)
	hs, err := w.cases.Holidays(c.Request().Context())
	if err != nil {
		return err
	}
	year := caseflow.Local(w.cases.Now()).Year()
	if y, err := strconv.Atoi(c.QueryParam("year")); err == nil && y > 1900 && y < 3000 {
		year = y
	}
	token, _ := c.Get(csrfKey).(string)
	view := holidaysView{Year: year, CSRF: token}
	seen := map[int]bool{}
	for _, h := range hs {
		if !seen[h.Date.Year()] {
			seen[h.Date.Year()] = true
			view.Years = append(view.Years, h.Date.Year())
		}
		if h.Date.Year() == year {
			view.Holidays = append(view.Holidays, holidayView{Date: h.Date.Format("2006-01-02"), Day: h.Date.Format("02/01/2006"),
				Name: h.Name, Weekday: tr(lang, "weekday."+strconv.Itoa(int(h.Date.Weekday()))), Working: h.Working})
		}
	}
	view.Add = formView{ID: "add", Title: tr(lang, "admin.add_holiday"), Action: "/admin/holidays", Submit: tr(lang, "admin.save"),
		Open: true, CSRF: token}
	view.Add.Fields = []field{
		{ID: "h-date", Name: "date", Type: "date", Label: tr(lang, "admin.holiday_date"), Required: true, Value: values.Get("date"),
			Err: errs["date"], Hint: tr(lang, "hint.date")},
		{ID: "h-name", Name: "name", Type: "text", Label: tr(lang, "admin.holiday_name"), Required: true, Value: values.Get("name"), Err: errs["name"]},
		{ID: "h-working", Name: "working", Type: "select", Label: tr(lang, "admin.holiday_kind"), Err: errs["working"],
			Options: []option{{Value: "false", Text: tr(lang, "admin.day_off"), Selected: values.Get("working") != "true"},
				{Value: "true", Text: tr(lang, "admin.working_day"), Selected: values.Get("working") == "true"}}},
	}
	view.Add.Errors = collectErrors(view.Add.Fields)
	return w.render(c, code, "holidays", tr(lang, "title.holidays"), view, append(opts, withHere("/admin/holidays"))...)
}

func (w *UI) holidayPut(c echo.Context) error {
	lang := langOf(c)
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	errs := map[string]string{}
	d, ok := parseFormDate(form.Get("date"))
	if !ok {
		errs["date"] = tr(lang, "msg.bad_date")
	}
	if caseflow.Blank(form.Get("name")) || len(form.Get("name")) > 200 {
		errs["name"] = tr(lang, "msg.required_short")
	}
	if len(errs) > 0 {
		return w.renderHolidays(c, http.StatusUnprocessableEntity, form, errs)
	}
	err = w.cases.PutHoliday(c.Request().Context(), request.Viewer(c),
		caseflow.Holiday{Date: d, Name: form.Get("name"), Working: form.Get("working") == "true"})
	var de *caseflow.Error
	if errors.As(err, &de) && len(de.Fields) > 0 {
		for k, fe := range de.Fields {
			errs[k] = fieldMessage(lang, k, fe)
		}
		return w.renderHolidays(c, http.StatusUnprocessableEntity, form, errs)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/holidays?msg=holiday_saved&year="+strconv.Itoa(d.Year()))
}

func (w *UI) holidayDelete(c echo.Context) error {
	d, err := time.Parse("2006-01-02", c.Param("date"))
	if err != nil {
		return caseflow.Errorf(caseflow.ENotFound, "no such holiday")
	}
	if err := w.cases.DeleteHoliday(c.Request().Context(), request.Viewer(c), d); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/holidays?msg=holiday_deleted&year="+strconv.Itoa(d.Year()))
}

// grantDecide approves or refuses a grant waiting for a second
// administrator.
func (w *UI) grantDecide(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return caseflow.Errorf(caseflow.ENotFound, "no such grant")
	}
	approve := c.Param("decision") == "approve"
	if !approve && c.Param("decision") != "refuse" {
		return caseflow.Errorf(caseflow.ENotFound, "no such decision")
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	g, err := w.accounts.DecideGrant(c.Request().Context(), request.Viewer(c), id, approve, form.Get("reason"))
	if errs, code, ok := formErrors(langOf(c), err); ok {
		return w.renderUsers(c, code, nil, nil, withNotice(errs["reason"], toneBad))
	}
	if err != nil {
		return err
	}
	lang := langOf(c)
	msg := tr(lang, "admin.grant_refused", g.Username)
	if approve {
		msg = tr(lang, "admin.grant_approved", g.Username)
	}
	return w.renderUsers(c, http.StatusOK, nil, nil, withNotice(msg, toneOK))
}
