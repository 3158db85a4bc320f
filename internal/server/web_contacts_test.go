package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A person sets where they are told, with quiet hours; a bad address is
// named on its row and nothing is saved; an administrator sets an agency's
// duty mailbox; nobody else may.
func TestWebContacts(t *testing.T) {
	social := webAs(t, "social1")
	p := social.get("/contacts")
	if p.Status != http.StatusOK {
		l := env.logs.String()
		t.Fatalf("GET /contacts: %d; log tail: %s", p.Status, l[max(0, len(l)-1500):])
	}
	requireNoMissingWords(t, p.Body)
	require.Contains(t, p.Body, `name="qf0"`, "a person has quiet hours")

	bad := social.post("/contacts", url.Values{"c0": {"email"}, "a0": {"not an address"}, "c1": {"sms"}, "a1": {"0912 345"}})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status, bad.Body)
	require.Contains(t, bad.Body, "Địa chỉ thư điện tử không hợp lệ")
	require.Contains(t, bad.Body, `value="not an address"`, "the typed row is kept")
	r := call(t, http.MethodGet, "/api/v1/me/contacts", login(t, "social1"), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Empty(t, r.Body["contacts"], "nothing was saved")

	ok := social.post("/contacts", url.Values{"c0": {"email"}, "a0": {"Social1@Example.test"}, "k0": {"breach", "escalation"},
		"qf0": {"22"}, "qt0": {"6"}, "c1": {"sms"}, "a1": {""}})
	require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
	r = call(t, http.MethodGet, "/api/v1/me/contacts", login(t, "social1"), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	cs := r.Body["contacts"].([]any)
	require.Len(t, cs, 1)
	c := cs[0].(map[string]any)
	require.Equal(t, "social1@example.test", c["address"])
	require.EqualValues(t, 22, c["quiet_from"])
	require.ElementsMatch(t, []any{"breach", "escalation"}, c["kinds"])

	admin := webAs(t, "admin1")
	a := admin.post("/admin/agencies/CTXH-33/contacts", url.Values{"c0": {"email"}, "a0": {"truc.ctxh@example.test"}, "qf0": {"1"}, "qt0": {"2"}})
	require.Equal(t, http.StatusUnprocessableEntity, a.Status, "an agency has no quiet hours")
	a = admin.post("/admin/agencies/CTXH-33/contacts", url.Values{"c0": {"email"}, "a0": {"truc.ctxh@example.test"}})
	require.Equal(t, http.StatusSeeOther, a.Status, a.Body)
	page := admin.get("/admin/agencies/CTXH-33/contacts")
	require.Equal(t, http.StatusOK, page.Status)
	require.True(t, strings.Contains(page.Body, "truc.ctxh@example.test"))
	require.NotContains(t, page.Body, `name="qf0"`)

	denied := social.get("/admin/agencies/CTXH-33/contacts")
	require.NotEqual(t, http.StatusOK, denied.Status)
	api := call(t, http.MethodPut, "/api/v1/admin/agencies/CTXH-33/contacts", login(t, "social1"), map[string]any{"contacts": []any{}})
	require.Equal(t, http.StatusForbidden, api.Status)
}
