package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"caseflow/internal/api"
	"caseflow/internal/server"
	"caseflow/internal/testenv"
)

// The OpenAPI document is checked three ways: it is a valid OpenAPI 3
// document; every route the server registers is in it (and it describes no
// route that is neither registered nor being built); and real requests and
// responses of the test server conform to it.

var oaSpec struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// oaLoad loads and validates the served document once.
func oaLoad(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	oaSpec.once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(api.OpenAPI())
		if err != nil {
			oaSpec.err = fmt.Errorf("load: %w", err)
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			oaSpec.err = fmt.Errorf("validate: %w", err)
			return
		}
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			oaSpec.err = fmt.Errorf("router: %w", err)
			return
		}
		oaSpec.doc, oaSpec.router = doc, r
	})
	require.NoError(t, oaSpec.err)
	return oaSpec.doc, oaSpec.router
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc, _ := oaLoad(t)
	require.Equal(t, "3.0.3", doc.OpenAPI)
	require.Equal(t, "caseflow", doc.Info.Title)
	require.Contains(t, doc.Components.SecuritySchemes, "bearerAuth")

	// The schemas that catch undocumented fields must stay closed.
	for _, name := range []string{"Case", "IntakeResult", "Error", "Person", "Report", "CaseList", "Me", "Login", "Workflow", "AvailableEvent"} {
		s, ok := doc.Components.Schemas[name]
		require.True(t, ok, "schema %s", name)
		require.NotNil(t, s.Value.AdditionalProperties.Has, "schema %s must set additionalProperties", name)
		require.False(t, *s.Value.AdditionalProperties.Has, "schema %s must not allow undocumented fields", name)
	}
	// IntakeResult repeats every field of Case.
	for name := range doc.Components.Schemas["Case"].Value.Properties {
		require.Contains(t, doc.Components.Schemas["IntakeResult"].Value.Properties, name)
	}
	// OpenAPI 3.0 ignores nullable without a type; every number says its
	// format.
	var raw any
	require.NoError(t, yaml.Unmarshal(api.OpenAPI(), &raw))
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["nullable"] == true {
				require.Contains(t, x, "type", "%s is nullable without a type", path)
			}
			if x["type"] == "integer" || x["type"] == "number" {
				require.Contains(t, x, "format", "%s: a number without a format", path)
			}
			for k, e := range x {
				walk(path+"/"+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s/%d", path, i), e)
			}
		}
	}
	walk("", raw)
	require.Contains(t, doc.Components.Responses["RateLimited"].Value.Headers, "Retry-After")
}

// oaRoute is a method and a path template in OpenAPI form ({param}).
type oaRoute struct{ method, path string }

func (r oaRoute) String() string { return r.method + " " + r.path }

// oaServedRoutes are the routes the server registers (New, routesWorkflow,
// routesAdmin); every one must be in the document and registered.
var oaServedRoutes = []oaRoute{
	{http.MethodGet, "/healthz"},
	{http.MethodGet, "/readyz"},
	{http.MethodGet, "/metrics"},
	{http.MethodGet, "/api/openapi.yaml"},
	{http.MethodPost, "/api/v1/auth/login"},
	{http.MethodPost, "/api/v1/auth/logout"},
	{http.MethodGet, "/api/v1/me"},
	{http.MethodPost, "/api/v1/reports"},
	{http.MethodGet, "/api/v1/cases"},
	{http.MethodGet, "/api/v1/cases/{code}"},
	{http.MethodGet, "/api/v1/workflows"},

	{http.MethodPost, "/api/v1/cases/{code}/events"},
	{http.MethodGet, "/api/v1/cases/{code}/history"},
	{http.MethodGet, "/api/v1/worklist"},
	{http.MethodGet, "/api/v1/cases/{code}/reads"},
	{http.MethodGet, "/api/v1/cases/{code}/subject-requests"},
	{http.MethodPost, "/api/v1/cases/{code}/subject-requests"},
	{http.MethodPost, "/api/v1/cases/{code}/subject-requests/{id}/{decision}"},
	{http.MethodGet, "/api/v1/cases/{code}/subject-requests/{id}/export"},
	{http.MethodPost, "/api/v1/cases/{code}/subject-requests/{id}/correction"},
	{http.MethodGet, "/api/v1/cases/{code}/processing"},
	{http.MethodPut, "/api/v1/cases/{code}/processing"},
	{http.MethodGet, "/api/v1/cases/{code}/referrals"},
	{http.MethodPost, "/api/v1/cases/{code}/referrals"},
	{http.MethodPost, "/api/v1/referrals/{id}/accept"},
	{http.MethodPost, "/api/v1/referrals/{id}/decline"},
	{http.MethodPost, "/api/v1/referrals/{id}/done"},
	{http.MethodGet, "/api/v1/cases/{code}/clocks"},
	{http.MethodPost, "/api/v1/cases/{code}/clocks/{clock}/extensions"},
	{http.MethodGet, "/api/v1/notifications"},
	{http.MethodPost, "/api/v1/notifications/{id}/read"},

	{http.MethodGet, "/api/v1/holidays"},
	{http.MethodPut, "/api/v1/holidays/{date}"},
	{http.MethodDelete, "/api/v1/holidays/{date}"},
	{http.MethodGet, "/api/v1/admin/users"},
	{http.MethodPost, "/api/v1/admin/users"},
	{http.MethodPatch, "/api/v1/admin/users/{username}"},
	{http.MethodGet, "/api/v1/admin/grants"},
	{http.MethodGet, "/api/v1/admin/breaches"},
	{http.MethodPost, "/api/v1/admin/breaches"},
	{http.MethodPost, "/api/v1/admin/breaches/{id}/notified"},
	{http.MethodPost, "/api/v1/admin/grants/{id}/{decision}"},

	{http.MethodGet, "/api/v1/compliance"},
	{http.MethodGet, "/api/v1/compliance/{id}/cases"},
	{http.MethodGet, "/api/v1/compliance/export.csv"},
	{http.MethodGet, "/api/v1/compliance/export.xlsx"},
	{http.MethodGet, "/api/v1/compliance/export.pdf"},
}

var oaParamName = regexp.MustCompile(`^(\{[^}]+\}|:.+)$`)

// oaShape writes a route with its parameters unnamed, so that echo's
// /cases/:code and OpenAPI's /cases/{code} compare equal.
func oaShape(method, path string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if oaParamName.MatchString(seg) {
			segs[i] = "{}"
		}
	}
	return method + " " + strings.Join(segs, "/")
}

// oaServes reports whether a registered route (in shape form) serves a
// documented one: the same method and segments, where a parameter of the
// registered route also serves a fixed segment (echo's /referrals/:id/:action
// serves the documented /referrals/{id}/accept).
func oaServes(registered, documented string) bool {
	r, d := strings.Split(registered, "/"), strings.Split(documented, "/")
	if len(r) != len(d) {
		return false
	}
	for i := range r {
		if r[i] != d[i] && r[i] != "{}" {
			return false
		}
	}
	return true
}

// oaRegisteredRoutes returns the routes of a server built like the test
// server, read from its echo route table, by shape.
func oaRegisteredRoutes(t *testing.T) map[string]string {
	t.Helper()
	s := server.New(server.Config{Workflows: env.flows})
	out := map[string]string{}
	for _, r := range s.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		out[oaShape(r.Method, r.Path)] = r.Method + " " + r.Path
	}
	return out
}

// oaDocumentedRoutes returns the operations of the document, by shape.
func oaDocumentedRoutes(t *testing.T) map[string]string {
	t.Helper()
	doc, _ := oaLoad(t)
	out := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out[oaShape(method, path)] = method + " " + path
		}
	}
	return out
}

// oaServed reports whether any registered route serves the documented one.
func oaServed(registered map[string]string, documented string) bool {
	for r := range registered {
		if oaServes(r, documented) {
			return true
		}
	}
	return false
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	documented := oaDocumentedRoutes(t)
	registered := oaRegisteredRoutes(t)

	t.Run("ListedRoutesAreDocumented", func(t *testing.T) {
		for _, r := range oaServedRoutes {
			require.Contains(t, documented, oaShape(r.method, r.path), "%s is not in openapi.yaml", r)
		}
	})
	t.Run("ServedRoutesAreRegistered", func(t *testing.T) {
		for _, r := range oaServedRoutes {
			require.True(t, oaServed(registered, oaShape(r.method, r.path)),
				"%s is listed as served but the server does not register it", r)
		}
	})
	t.Run("RegisteredRoutesAreDocumented", func(t *testing.T) {
		var missing []string
		for k, r := range registered {
			found := false
			for d := range documented {
				found = found || oaServes(k, d)
			}
			if !found {
				missing = append(missing, r)
			}
		}
		sort.Strings(missing)
		require.Empty(t, missing, "routes the server registers but openapi.yaml does not describe")
	})
	t.Run("DocumentedRoutesExist", func(t *testing.T) {
		var phantom []string
		for k, d := range documented {
			if !oaServed(registered, k) {
				phantom = append(phantom, d)
			}
		}
		sort.Strings(phantom)
		require.Empty(t, phantom, "operations in openapi.yaml that the server does not register")
	})
}

// oaExchange is one real request to the test server and the status expected.
type oaExchange struct {
	name    string
	method  string
	path    string
	token   string
	body    any // nil, string, []byte, or a value marshalled to JSON
	headers map[string]string
	status  []int // the statuses accepted
	// outOfContract marks a request that deliberately breaks the document
	// (to provoke a 400, 413 or 422): the document must reject it too, and
	// only the response is checked against it.
	outOfContract bool
}

// oaResult is what the server answered.
type oaResult struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

func (ex oaExchange) bytes(t *testing.T) []byte {
	t.Helper()
	switch b := ex.body.(type) {
	case nil:
		return nil
	case string:
		return []byte(b)
	case []byte:
		return b
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		return raw
	}
}

func (ex oaExchange) request(t *testing.T, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(ex.method, env.srv.URL+ex.path, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if ex.token != "" {
		req.Header.Set("Authorization", "Bearer "+ex.token)
	}
	for k, v := range ex.headers {
		req.Header.Set(k, v)
	}
	return req
}

// oaSend performs the exchange against the test server.
func oaSend(t *testing.T, ex oaExchange) oaResult {
	t.Helper()
	res, err := http.DefaultClient.Do(ex.request(t, ex.bytes(t)))
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	out := oaResult{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out.Body), string(raw))
	}
	return out
}

var oaOptions = &openapi3filter.Options{
	// Tokens are checked by the server itself; the document only says that
	// bearer authentication applies.
	AuthenticationFunc:    func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
	IncludeResponseStatus: true,
	MultiError:            true,
}

// oaConform checks a real request and its response against the document.
func oaConform(t *testing.T, ex oaExchange, res oaResult) {
	t.Helper()
	_, router := oaLoad(t)
	body := ex.bytes(t)
	req := ex.request(t, body)
	rt, params, err := router.FindRoute(req)
	require.NoError(t, err, "%s %s is not in openapi.yaml", ex.method, ex.path)
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: rt, Options: oaOptions}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	if ex.outOfContract {
		require.Error(t, reqErr, "the document accepts a request the test sends to break it")
	} else {
		require.NoError(t, reqErr, "request does not conform to openapi.yaml")
	}
	err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.Status, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(res.Raw)), Options: oaOptions,
	})
	require.NoError(t, err, "response %d does not conform to openapi.yaml: %s", res.Status, oaClip(res.Raw))
}

func oaClip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// oaRun sends an exchange, checks its status and checks both halves against the
// document.
func oaRun(t *testing.T, ex oaExchange) oaResult {
	t.Helper()
	res := oaSend(t, ex)
	oaInternal(t, res)
	require.Contains(t, ex.status, res.Status, "%s %s: %s", ex.method, ex.path, oaClip(res.Raw))
	oaConform(t, ex, res)
	return res
}

// oaInternal logs the server's log lines of a request that failed with an
// internal error, which the response hides behind its request id.
func oaInternal(t *testing.T, res oaResult) {
	t.Helper()
	if res.Status != http.StatusInternalServerError {
		return
	}
	id := res.Header.Get("X-Request-Id")
	for _, line := range strings.Split(env.logs.String(), "\n") {
		if id != "" && strings.Contains(line, id) {
			t.Log(line)
		}
	}
}

func TestOpenAPIConformance(t *testing.T) {
	oaLoad(t)
	officer := login(t, "officer1")
	supervisor := login(t, "supervisor1")
	admin := login(t, "admin1")

	filed := report()
	key := "openapi-conformance-" + testenv.Suffix()
	var code string

	tooLong := report()
	tooLong["narrative"] = strings.Repeat("x", 1<<20+1)
	badChannel := report()
	badChannel["channel"] = "fax"
	differentBody := report()

	steps := []struct {
		ex    oaExchange
		after func(t *testing.T, r oaResult)
	}{
		{ex: oaExchange{name: "Healthz", method: http.MethodGet, path: "/healthz", status: []int{200}}},
		{ex: oaExchange{name: "Readyz", method: http.MethodGet, path: "/readyz", status: []int{200}}},
		{ex: oaExchange{name: "Metrics", method: http.MethodGet, path: "/metrics", status: []int{200}}},
		{ex: oaExchange{name: "Document", method: http.MethodGet, path: "/api/openapi.yaml", status: []int{200}},
			after: func(t *testing.T, r oaResult) { require.Equal(t, api.OpenAPI(), r.Raw) }},

		{ex: oaExchange{name: "LoginOK", method: http.MethodPost, path: "/api/v1/auth/login",
			body: map[string]string{"username": "social1", "password": testenv.Password}, status: []int{200}}},
		{ex: oaExchange{name: "LoginWrongPassword", method: http.MethodPost, path: "/api/v1/auth/login",
			body: map[string]string{"username": "khong-co-nguoi-nay", "password": "sai-mat-khau"}, status: []int{401}}},
		{ex: oaExchange{name: "LoginUnknownField", method: http.MethodPost, path: "/api/v1/auth/login",
			body: map[string]string{"username": "officer1", "password": "x", "otp": "1"}, status: []int{422}, outOfContract: true}},
		{ex: oaExchange{name: "Me", method: http.MethodGet, path: "/api/v1/me", token: officer, status: []int{200}}},
		{ex: oaExchange{name: "MeWithoutToken", method: http.MethodGet, path: "/api/v1/me", status: []int{401}}},

		{ex: oaExchange{name: "ReportCreated", method: http.MethodPost, path: "/api/v1/reports", token: officer,
			body: filed, headers: map[string]string{"Idempotency-Key": key}, status: []int{201}},
			after: func(t *testing.T, r oaResult) {
				code, _ = r.Body["code"].(string)
				require.NotEmpty(t, code)
				require.Equal(t, "/api/v1/cases/"+code, r.Header.Get("Location"))
			}},
		{ex: oaExchange{name: "ReportWithoutKey", method: http.MethodPost, path: "/api/v1/reports", token: officer,
			body: report(), status: []int{201}}},
		{ex: oaExchange{name: "ReportRepeated", method: http.MethodPost, path: "/api/v1/reports", token: officer,
			body: filed, headers: map[string]string{"Idempotency-Key": key}, status: []int{200}},
			after: func(t *testing.T, r oaResult) { require.Equal(t, code, r.Body["code"]) }},
		{ex: oaExchange{name: "ReportKeyReused", method: http.MethodPost, path: "/api/v1/reports", token: officer,
			body: differentBody, headers: map[string]string{"Idempotency-Key": key}, status: []int{409}},
			after: func(t *testing.T, r oaResult) {
				e := r.Body["error"].(map[string]any)
				require.Equal(t, map[string]any{"Idempotency-Key": "reused"}, e["field_codes"])
			}},
		{ex: oaExchange{name: "ReportInvalid", method: http.MethodPost, path: "/api/v1/reports", token: officer,
			body: badChannel, status: []int{422}, outOfContract: true},
			after: func(t *testing.T, r oaResult) {
				e := r.Body["error"].(map[string]any)
				require.Contains(t, e["fields"], "channel")
				codes, _ := e["field_codes"].(map[string]any)
				require.Equal(t, "not_one_of", codes["channel"])
				require.Len(t, codes, len(e["fields"].(map[string]any)), "a code for every field")
			}},
		{ex: oaExchange{name: "ReportMalformed", method: http.MethodPost, path: "/api/v1/reports", token: officer,
			body: `{"channel": `, status: []int{400}, outOfContract: true}},
		{ex: oaExchange{name: "ReportTooLarge", method: http.MethodPost, path: "/api/v1/reports", token: officer,
			body: tooLong, status: []int{413}, outOfContract: true}},
		{ex: oaExchange{name: "ReportByWrongRole", method: http.MethodPost, path: "/api/v1/reports", token: supervisor,
			body: report(), status: []int{403}}},
		{ex: oaExchange{name: "ReportWithoutToken", method: http.MethodPost, path: "/api/v1/reports",
			body: report(), status: []int{401}}},

		{ex: oaExchange{name: "CasesOfficer", method: http.MethodGet, path: "/api/v1/cases?limit=1", token: officer, status: []int{200}},
			after: func(t *testing.T, r oaResult) { require.NotEmpty(t, r.Body["next_cursor"]) }},
		{ex: oaExchange{name: "CasesFiltered", method: http.MethodGet, token: officer, status: []int{200},
			path: "/api/v1/cases?state=received&commune=" + communeOfficer1 + "&received_from=2026-11-01&received_to=2026-11-30T23:59:59%2B07:00&limit=50"}},
		{ex: oaExchange{name: "CasesSupervisor", method: http.MethodGet, path: "/api/v1/cases", token: supervisor, status: []int{200}}},
		{ex: oaExchange{name: "CasesBadLimit", method: http.MethodGet, path: "/api/v1/cases?limit=0", token: officer,
			status: []int{422}, outOfContract: true}},
		{ex: oaExchange{name: "CasesAdmin", method: http.MethodGet, path: "/api/v1/cases", token: admin, status: []int{403}}},
		{ex: oaExchange{name: "Workflows", method: http.MethodGet, path: "/api/v1/workflows", token: officer, status: []int{200}}},
		{ex: oaExchange{name: "CaseMissing", method: http.MethodGet, path: "/api/v1/cases/HY-2026-999999", token: officer, status: []int{404}}},
	}
	for _, s := range steps {
		t.Run(s.ex.name, func(t *testing.T) {
			r := oaRun(t, s.ex)
			if s.after != nil {
				s.after(t, r)
			}
		})
	}
	require.NotEmpty(t, code, "the report was not filed; the case checks cannot run")

	t.Run("CaseFull", func(t *testing.T) {
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/cases/" + code, token: officer, status: []int{200}})
		require.Equal(t, "full", r.Body["access"])
		require.Contains(t, r.Body, "children")
		require.NotEmpty(t, r.Body["available_events"])
	})
	t.Run("CaseSummary", func(t *testing.T) {
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/cases/" + code, token: supervisor, status: []int{200}})
		require.Equal(t, "summary", r.Body["access"])
		require.NotContains(t, r.Body, "children")
		require.NotContains(t, r.Body, "narrative")
	})
	t.Run("Logout", func(t *testing.T) {
		tok := oaSend(t, oaExchange{method: http.MethodPost, path: "/api/v1/auth/login",
			body: map[string]string{"username": "court1", "password": testenv.Password}, status: []int{200}}).Body["token"].(string)
		oaRun(t, oaExchange{method: http.MethodPost, path: "/api/v1/auth/logout", token: tok, status: []int{204}})
		oaRun(t, oaExchange{method: http.MethodPost, path: "/api/v1/auth/logout", token: tok, status: []int{401}})
	})
}

// oaUnrouted reports whether the server answered that it has no such endpoint
// (or not with that method), which is how an endpoint not built yet answers.
func oaUnrouted(r oaResult) bool {
	if r.Status != http.StatusNotFound {
		return false
	}
	e, _ := r.Body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return e["code"] == "not_found" && (msg == "no such endpoint" || msg == "this endpoint does not take that method")
}

// oaID returns an id from a decoded JSON body as it goes in a path.
func oaID(v any) string {
	switch id := v.(type) {
	case string:
		return id
	case float64:
		return fmt.Sprintf("%.0f", id)
	}
	return ""
}

// oaCaseState carries what earlier steps produced.
type oaCaseState struct {
	code                       string
	caseVersion                int
	referral, otherReferral    string
	notification               string
	officer, supervisor, admin string
	social, police, prosecutor string
	suffix                     string // makes names unique per run
}

// oaStep is one exchange of a scenario on one case; needs, when set, says
// whether what it needs from earlier steps is there.
type oaStep struct {
	name  string
	needs func(s *oaCaseState) bool
	ex    func(s *oaCaseState) oaExchange
	after func(t *testing.T, s *oaCaseState, r oaResult)
}

// workflowSteps take a case through events, referrals, clocks and
// notifications, and exercise the administration endpoints.
var workflowSteps = []oaStep{
	{name: "FireEvent",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/cases/" + s.code + "/events", token: s.officer,
				body: map[string]any{"event": "assess_risk", "version": s.caseVersion, "note": "Đánh giá ban đầu (hư cấu)",
					"data": map[string]any{"risk_level": "high", "crime_signs": true}}, status: []int{200}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) {
			v, _ := r.Body["version"].(float64)
			require.Equal(t, s.caseVersion+1, int(v))
			s.caseVersion = int(v)
		}},
	{name: "FireEventStaleVersion",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/cases/" + s.code + "/events", token: s.officer,
				body: map[string]any{"event": "assess_risk", "version": s.caseVersion - 1,
					"data": map[string]any{"risk_level": "low"}}, status: []int{409}}
		}},
	{name: "FireEventNotAllowedNow",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/cases/" + s.code + "/events", token: s.officer,
				body: map[string]any{"event": "indict", "version": s.caseVersion, "data": map[string]any{}}, status: []int{422}}
		}},
	{name: "FireEventWrongRole",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/cases/" + s.code + "/events", token: s.supervisor,
				body: map[string]any{"event": "assess_risk", "version": s.caseVersion,
					"data": map[string]any{"risk_level": "low"}}, status: []int{403}}
		}},
	{name: "History",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodGet, path: "/api/v1/cases/" + s.code + "/history", token: s.officer, status: []int{200}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) { require.NotEmpty(t, r.Body["history"]) }},
	{name: "Worklist",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodGet, path: "/api/v1/worklist", token: s.officer, status: []int{200}}
		}},
	{name: "Refer",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/cases/" + s.code + "/referrals", token: s.officer,
				body:   map[string]any{"service": "counselling", "agency_code": "CTXH-33", "note": "Tư vấn tâm lý (hư cấu)"},
				status: []int{201}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) { s.referral = oaID(r.Body["id"]) }},
	{name: "ReferAnother",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/cases/" + s.code + "/referrals", token: s.officer,
				body: map[string]any{"service": "alternative_care", "agency_code": "CTXH-33"}, status: []int{201}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) { s.otherReferral = oaID(r.Body["id"]) }},
	{name: "Referrals",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodGet, path: "/api/v1/cases/" + s.code + "/referrals", token: s.officer, status: []int{200}}
		}},
	{name: "AcceptReferral", needs: func(s *oaCaseState) bool { return s.referral != "" },
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/referrals/" + s.referral + "/accept", token: s.social,
				body: map[string]any{"note": "Đã tiếp nhận (hư cấu)"}, status: []int{200}}
		}},
	{name: "CompleteReferral", needs: func(s *oaCaseState) bool { return s.referral != "" },
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/referrals/" + s.referral + "/done", token: s.social,
				body: map[string]any{"note": "Đã hoàn thành (hư cấu)"}, status: []int{200}}
		}},
	{name: "DeclineReferral", needs: func(s *oaCaseState) bool { return s.otherReferral != "" },
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/referrals/" + s.otherReferral + "/decline", token: s.social,
				body: map[string]any{"note": "Không đủ nguồn lực (hư cấu)"}, status: []int{200}}
		}},
	{name: "Clocks",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodGet, path: "/api/v1/cases/" + s.code + "/clocks", token: s.officer, status: []int{200}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) { require.NotEmpty(t, r.Body["clocks"]) }},
	{name: "ExtendClockNotAllowed",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/cases/" + s.code + "/clocks/emergency_measures/extensions",
				token: s.officer, body: map[string]any{"duration": "12 hours",
					"reason": "Lý do hư cấu", "legal_basis": "Nghị định 56/2017/NĐ-CP Điều 26.3"}, status: []int{403, 422}}
		}},
	{name: "CurrentVersion",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodGet, path: "/api/v1/cases/" + s.code, token: s.officer, status: []int{200}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) { s.caseVersion = int(r.Body["version"].(float64)) }},
	{name: "ReferToPolice",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/cases/" + s.code + "/events", token: s.officer,
				body: map[string]any{"event": "refer_police", "version": s.caseVersion,
					"data": map[string]any{"remote_commune": false}}, status: []int{200}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) { s.caseVersion = int(r.Body["version"].(float64)) }},
	{name: "PoliceAccept",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/cases/" + s.code + "/events", token: s.police,
				body: map[string]any{"event": "accept_referral", "version": s.caseVersion,
					"data": map[string]any{"intake_number": "TL-01/2026 (hư cấu)"}}, status: []int{200}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) { s.caseVersion = int(r.Body["version"].(float64)) }},
	{name: "DecideProsecution",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/cases/" + s.code + "/events", token: s.police,
				body: map[string]any{"event": "decide_prosecution", "version": s.caseVersion,
					"data": map[string]any{"crime_category": "very_serious", "penal_code_article": "142"}}, status: []int{200}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) { s.caseVersion = int(r.Body["version"].(float64)) }},
	{name: "HandToProcuracy",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/cases/" + s.code + "/events", token: s.police,
				body:   map[string]any{"event": "hand_to_procuracy", "version": s.caseVersion, "data": map[string]any{}},
				status: []int{200}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) { s.caseVersion = int(r.Body["version"].(float64)) }},
	{name: "ExtendClock",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/cases/" + s.code + "/clocks/indictment/extensions",
				token: s.prosecutor, body: map[string]any{"duration": "10 days", "reason": "Cần xác minh thêm (hư cấu)",
					"legal_basis": "BLTTHS 2015 Điều 240"}, status: []int{200}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) { require.NotEmpty(t, r.Body["extensions"]) }},
	{name: "ClocksWithExtension",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodGet, path: "/api/v1/cases/" + s.code + "/clocks", token: s.prosecutor, status: []int{200}}
		}},
	{name: "ProcuracyWorklist",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodGet, path: "/api/v1/worklist", token: s.prosecutor, status: []int{200}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) { require.NotEmpty(t, r.Body["items"]) }},
	{name: "Notifications",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodGet, path: "/api/v1/notifications", token: s.officer, status: []int{200}}
		},
		after: func(t *testing.T, s *oaCaseState, r oaResult) {
			if list, _ := r.Body["notifications"].([]any); len(list) > 0 {
				n, _ := list[0].(map[string]any)
				s.notification = oaID(n["id"])
			}
		}},
	{name: "ReadNotification", needs: func(s *oaCaseState) bool { return s.notification != "" },
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/notifications/" + s.notification + "/read", token: s.officer, status: []int{204}}
		}},
	{name: "ReadMissingNotification",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/notifications/999999999/read",
				token: s.officer, status: []int{404}}
		}},
	{name: "Holidays",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodGet, path: "/api/v1/holidays", token: s.officer, status: []int{200}}
		}},
	{name: "PutHoliday",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPut, path: "/api/v1/holidays/2027-12-24", token: s.admin,
				body: map[string]any{"name": "Ngày nghỉ hư cấu"}, status: []int{200}}
		}},
	{name: "PutHolidayNotAdmin",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPut, path: "/api/v1/holidays/2027-12-25", token: s.officer,
				body: map[string]any{"name": "Ngày nghỉ hư cấu"}, status: []int{403}}
		}},
	{name: "DeleteHoliday",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodDelete, path: "/api/v1/holidays/2027-12-24", token: s.admin, status: []int{204}}
		}},
	{name: "DeleteMissingHoliday",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodDelete, path: "/api/v1/holidays/2027-12-24", token: s.admin, status: []int{404}}
		}},
	{name: "Users",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodGet, path: "/api/v1/admin/users", token: s.admin, status: []int{200}}
		}},
	{name: "UsersNotAdmin",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodGet, path: "/api/v1/admin/users", token: s.officer, status: []int{403}}
		}},
	{name: "CreateUser",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPost, path: "/api/v1/admin/users", token: s.admin,
				body: map[string]any{"username": "openapi." + s.suffix, "display_name": "Cán bộ hư cấu (thử nghiệm)",
					"role": "commune_officer", "agency_code": "CP-12004", "password": "mat-khau-hu-cau-1"}, status: []int{201}}
		}},
	{name: "UpdateUser",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPatch, path: "/api/v1/admin/users/openapi." + s.suffix, token: s.admin,
				body: map[string]any{"disabled": true}, status: []int{200}}
		}},
	{name: "UpdateMissingUser",
		ex: func(s *oaCaseState) oaExchange {
			return oaExchange{method: http.MethodPatch, path: "/api/v1/admin/users/khong-co-ai", token: s.admin,
				body: map[string]any{"display_name": "Không ai"}, status: []int{404}}
		}},
}

// oaNewCase files a report as officer1 for a scenario.
func oaNewCase(t *testing.T) *oaCaseState {
	t.Helper()
	s := &oaCaseState{officer: login(t, "officer1"), supervisor: login(t, "supervisor1"), admin: login(t, "admin1"),
		social: login(t, "social1"), police: login(t, "police1"), prosecutor: login(t, "prosecutor1"), suffix: testenv.Suffix()}
	r := oaSend(t, oaExchange{method: http.MethodPost, path: "/api/v1/reports", token: s.officer, body: report()})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	s.code = r.Body["code"].(string)
	s.caseVersion = int(r.Body["version"].(float64))
	return s
}

// oaSteps runs steps in order; every endpoint they call must be routed.
func oaSteps(t *testing.T, s *oaCaseState, steps []oaStep) {
	t.Helper()
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if step.needs != nil {
				require.True(t, step.needs(s), "%s: an earlier step did not produce what it needs", step.name)
			}
			ex := step.ex(s)
			res := oaSend(t, ex)
			oaInternal(t, res)
			require.False(t, oaUnrouted(res), "%s %s is not routed: %s", ex.method, ex.path, res.Raw)
			require.Contains(t, ex.status, res.Status, "%s %s: %s", ex.method, ex.path, oaClip(res.Raw))
			oaConform(t, ex, res)
			if step.after != nil {
				step.after(t, s, res)
			}
		})
	}
}

func TestOpenAPIConformanceWorkflow(t *testing.T) {
	s := oaNewCase(t)
	// The report was received days ago, so its emergency clock is overdue:
	// the sweep records the breach, and its notification is there to read.
	_, err := env.db.DB.SweepDue(context.Background(), 1000)
	require.NoError(t, err)
	oaSteps(t, s, workflowSteps)
}
