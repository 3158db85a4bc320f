package web

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/catalog"
	"caseflow/internal/request"
)

// The contacts page: where the viewer (GET /contacts) or, for an
// administrator, an agency (GET /admin/agencies/{code}/contacts) is reached
// by e-mail and SMS. The form lists every contact point with two empty rows
// to add one; a row whose address is emptied is removed.

type contactRow struct {
	Index     int
	Channel   string
	Address   string
	Kinds     map[string]bool
	QuietFrom string
	QuietTo   string
	Err       string
}

type contactsView struct {
	Agency   string // the agency's code; "" for the viewer's own
	Person   bool
	Action   string
	CSRF     string
	Rows     []contactRow
	Kinds    []option
	Channels []option
}

func (w *UI) contactsPage(c echo.Context) error {
	var opts []pageOption
	if c.QueryParam("msg") == "saved" {
		opts = append(opts, withNotice(tr(langOf(c), "contacts.saved"), toneOK))
	}
	cs, err := w.cases.ContactPoints(c.Request().Context(), request.Viewer(c), c.Param("code"))
	if err != nil {
		return err
	}
	rows := make([]contactRow, 0, len(cs)+2)
	for _, x := range cs {
		r := contactRow{Channel: x.Channel, Address: x.Address, Kinds: map[string]bool{}}
		for _, k := range x.Kinds {
			r.Kinds[k] = true
		}
		if x.QuietFrom != nil && x.QuietTo != nil {
			r.QuietFrom, r.QuietTo = strconv.Itoa(*x.QuietFrom), strconv.Itoa(*x.QuietTo)
		}
		rows = append(rows, r)
	}
	return w.renderContacts(c, http.StatusOK, rows, opts...)
}

func (w *UI) renderContacts(c echo.Context, status int, rows []contactRow, opts ...pageOption) error {
	lang := langOf(c)
	code := c.Param("code")
	token, _ := c.Get(csrfKey).(string)
	view := contactsView{Agency: code, Person: code == "", CSRF: token, Action: "/contacts"}
	if code != "" {
		view.Action = "/admin/agencies/" + code + "/contacts"
	}
	blanks := 0
	for _, r := range rows {
		if r.Address == "" {
			blanks++
		}
	}
	for ; blanks < 2 && len(rows) < caseflow.MaxContactPoints; blanks++ {
		rows = append(rows, contactRow{Channel: caseflow.ChannelEmail, Kinds: map[string]bool{}})
	}
	for i := range rows {
		rows[i].Index = i
	}
	view.Rows = rows
	for _, k := range caseflow.NotificationKinds {
		view.Kinds = append(view.Kinds, option{Value: k, Text: catalog.Label(lang, catalog.NotificationKind, k)})
	}
	view.Channels = []option{{Value: caseflow.ChannelEmail, Text: tr(lang, "contacts.email")}, {Value: caseflow.ChannelSMS, Text: tr(lang, "contacts.sms")}}
	title := tr(lang, "title.contacts")
	if code != "" {
		title = tr(lang, "title.agency_contacts", code)
	}
	return w.render(c, status, "contacts", title, view, opts...)
}

var contactFieldRE = regexp.MustCompile(`^contacts\[(\d+)\]\.(\w+)$`)

func (w *UI) contactsSubmit(c echo.Context) error {
	lang := langOf(c)
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	var rows []contactRow
	var cs []caseflow.ContactPoint
	var rowOf []int // for each contact point sent, its row
	for i := 0; i < caseflow.MaxContactPoints+2; i++ {
		n := strconv.Itoa(i)
		if _, ok := form["a"+n]; !ok {
			continue
		}
		r := contactRow{Channel: form.Get("c" + n), Address: strings.TrimSpace(form.Get("a" + n)), Kinds: map[string]bool{},
			QuietFrom: form.Get("qf" + n), QuietTo: form.Get("qt" + n)}
		for _, k := range form["k"+n] {
			r.Kinds[k] = true
		}
		rows = append(rows, r)
		if r.Address == "" {
			continue
		}
		cp := caseflow.ContactPoint{Channel: r.Channel, Address: r.Address, Kinds: form["k"+n]}
		for _, h := range []struct {
			text string
			to   **int
		}{{r.QuietFrom, &cp.QuietFrom}, {r.QuietTo, &cp.QuietTo}} {
			if h.text != "" {
				v, err := strconv.Atoi(h.text)
				if err != nil {
					v = -1
				}
				*h.to = &v
			}
		}
		cs = append(cs, cp)
		rowOf = append(rowOf, len(rows)-1)
	}
	err = w.cases.SetContactPoints(c.Request().Context(), request.Viewer(c), c.Param("code"), cs)
	var de *caseflow.Error
	if errors.As(err, &de) && de.Code == caseflow.EInvalid {
		for f, fe := range de.Fields {
			m := contactFieldRE.FindStringSubmatch(f)
			if m == nil {
				continue
			}
			j, _ := strconv.Atoi(m[1])
			if j < len(rowOf) {
				rows[rowOf[j]].Err = fieldMessage(lang, m[2], fe)
			}
		}
		return w.renderContacts(c, http.StatusUnprocessableEntity, rows, withNotice(tr(lang, "contacts.fix"), toneBad))
	}
	if err != nil {
		return err
	}
	if code := c.Param("code"); code != "" {
		return c.Redirect(http.StatusSeeOther, "/admin/agencies/"+code+"/contacts?msg=saved")
	}
	return c.Redirect(http.StatusSeeOther, "/contacts?msg=saved")
}
