package server_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/seeds"
)

// personalValues lists every personal value of an intake body built by
// report: what a viewer without need-to-know must never receive.
func personalValues(body map[string]any) []string {
	c := firstChild(body)
	s := body["suspects"].([]map[string]any)[0]
	r := reporterOf(body)
	return []string{c["full_name"].(string), c["date_of_birth"].(string), c["address"].(string),
		s["full_name"].(string), r["full_name"].(string), r["phone"].(string), body["narrative"].(string)}
}

// requireNoPersonalData checks raw bytes for every personal value.
func requireNoPersonalData(t *testing.T, raw []byte, values []string) {
	t.Helper()
	for _, v := range values {
		require.NotContains(t, string(raw), v, "personal data reached a viewer without need-to-know")
	}
}

func TestNeedToKnow(t *testing.T) {
	tok1, tok2 := login(t, "officer1"), login(t, "officer2")
	police, supervisor, admin := login(t, "police1"), login(t, "supervisor1"), login(t, "admin1")
	body, body2 := report(), forOfficer2(report())
	t.Parallel()

	code := mustFile(t, tok1, body)
	code2 := mustFile(t, tok2, body2)
	path := "/api/v1/cases/" + code

	t.Run("FilingOfficerSeesEverything", func(t *testing.T) {
		r := call(t, http.MethodGet, path, tok1, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Equal(t, "full", r.Body["access"])
		require.Equal(t, body["narrative"], r.Body["narrative"])
		kid := r.Body["children"].([]any)[0].(map[string]any)
		require.Equal(t, firstChild(body)["full_name"], kid["full_name"])
		require.Equal(t, firstChild(body)["date_of_birth"], kid["date_of_birth"])
		require.Equal(t, firstChild(body)["address"], kid["address"])
		require.Equal(t, reporterOf(body)["phone"], r.Body["reporter"].(map[string]any)["phone"])
	})

	t.Run("ReadingPersonalDataIsAudited", func(t *testing.T) {
		r := call(t, http.MethodGet, path, tok1, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		rid := r.Header.Get("X-Request-Id")
		require.NotEmpty(t, rid)
		rows, err := env.db.QueryStrings(context.Background(),
			`SELECT username || '|' || ip FROM audit_log WHERE action = 'case.read' AND case_code = ? AND request_id = ?`, code, rid)
		require.NoError(t, err)
		require.Equal(t, []string{"officer1|127.0.0.1"}, rows)
	})

	t.Run("OfficerOfAnotherCommuneGetsNotFound", func(t *testing.T) {
		r := call(t, http.MethodGet, path, tok2, nil)
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
		c, _ := errorOf(t, r)
		require.Equal(t, "not_found", c)
		requireNoPersonalData(t, r.Raw, personalValues(body))

		missing := call(t, http.MethodGet, "/api/v1/cases/HY-1999-999999", tok2, nil)
		require.Equal(t, http.StatusNotFound, missing.Status, "a hidden case answers like a missing one")
	})

	t.Run("OfficerOfAnotherCommuneDoesNotListIt", func(t *testing.T) {
		codes := listAll(t, tok2, url.Values{"limit": {"3"}})
		require.Contains(t, codes, code2, "officer2 lists their own cases")
		require.NotContains(t, codes, code)
		require.NotContains(t, listAll(t, tok1, nil), code2)
	})

	t.Run("PoliceDoNotSeeAnUnreferredCase", func(t *testing.T) {
		r := call(t, http.MethodGet, path, police, nil)
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
		c, _ := errorOf(t, r)
		require.Equal(t, "not_found", c)
		require.NotContains(t, listAll(t, police, nil), code)
	})

	t.Run("SupervisorSeesSummaryWithoutPersonalData", func(t *testing.T) {
		r := call(t, http.MethodGet, path, supervisor, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Equal(t, code, r.Body["code"])
		require.Equal(t, "summary", r.Body["access"])
		require.NotContains(t, r.Body, "children")
		require.NotContains(t, r.Body, "suspects")
		require.NotContains(t, r.Body, "reporter")
		require.NotContains(t, r.Body, "narrative")
		requireNoPersonalData(t, r.Raw, personalValues(body))

		found := false
		q := url.Values{"limit": {"50"}}
		for {
			p, r := listPage(t, supervisor, q)
			require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
			requireNoPersonalData(t, r.Raw, personalValues(body))
			requireNoPersonalData(t, r.Raw, personalValues(body2))
			for _, c := range p.Cases {
				require.Equal(t, "summary", c.Access)
				found = found || c.Code == code
			}
			if p.NextCursor == "" {
				break
			}
			q.Set("cursor", p.NextCursor)
		}
		require.True(t, found, "the supervisor lists the case")
	})

	t.Run("SupervisorReadIsNotAPersonalDataRead", func(t *testing.T) {
		r := call(t, http.MethodGet, path, supervisor, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		rows, err := env.db.QueryStrings(context.Background(),
			`SELECT action FROM audit_log WHERE case_code = ? AND request_id = ?`, code, r.Header.Get("X-Request-Id"))
		require.NoError(t, err)
		require.Empty(t, rows)
	})

	t.Run("AdminDoesNotReadCases", func(t *testing.T) {
		r := call(t, http.MethodGet, "/api/v1/cases", admin, nil)
		require.Equal(t, http.StatusForbidden, r.Status, string(r.Raw))
		c, _ := errorOf(t, r)
		require.Equal(t, "forbidden", c)

		one := call(t, http.MethodGet, path, admin, nil)
		require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, one.Status, string(one.Raw))
		requireNoPersonalData(t, one.Raw, personalValues(body))
	})

	for name, p := range map[string]string{"Case": path, "List": "/api/v1/cases", "Me": "/api/v1/me"} {
		t.Run("NoTokenIsUnauthorized"+name, func(t *testing.T) {
			r := call(t, http.MethodGet, p, "", nil)
			require.Equal(t, http.StatusUnauthorized, r.Status, string(r.Raw))
			c, _ := errorOf(t, r)
			require.Equal(t, "unauthorized", c)
		})
		t.Run("BadTokenIsUnauthorized"+name, func(t *testing.T) {
			r := call(t, http.MethodGet, p, "not-a-token-this-service-issued", nil)
			require.Equal(t, http.StatusUnauthorized, r.Status, string(r.Raw))
			c, _ := errorOf(t, r)
			require.Equal(t, "unauthorized", c)
		})
		t.Run("BasicAuthIsUnauthorized"+name, func(t *testing.T) {
			r := call(t, http.MethodGet, p, "", nil, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("officer1:"+"x")))
			require.Equal(t, http.StatusUnauthorized, r.Status, string(r.Raw))
		})
	}
}

func TestMeDescribesTheUser(t *testing.T) {
	tok := login(t, "officer1")
	t.Parallel()

	provinces, err := seeds.Provinces()
	require.NoError(t, err)
	require.NotEmpty(t, provinces)
	agency := provinces[0].Agency("CP-12004")
	require.NotNil(t, agency)
	unit := provinces[0].UnitAt(communeOfficer1, time.Now())
	require.NotNil(t, unit, "officer1's commune exists today")
	require.Equal(t, unit.Key(), agency.UnitKey, "the agency is the commune's")
	unitName := unit.Name
	require.NotEmpty(t, unitName)

	r := call(t, http.MethodGet, "/api/v1/me", tok, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Equal(t, map[string]any{
		"username": "officer1",
		"role":     "commune_officer",
		"agency":   map[string]any{"code": "CP-12004", "name": agency.Name, "type": "commune_child_protection"},
		"unit":     map[string]any{"code": communeOfficer1, "name": unitName, "level": "commune"},
	}, r.Body)
	require.False(t, strings.Contains(string(r.Raw), "argon2"), "no password hash")
}

// These tests compare whole lists, so they do not run in parallel with tests
// that file reports.

func TestCaseListPagination(t *testing.T) {
	tok := login(t, "officer1")
	var filed []string
	for range 5 {
		filed = append(filed, mustFile(t, tok, report()))
	}

	t.Run("PagesCoverEveryCaseOnce", func(t *testing.T) {
		all := listAll(t, tok, url.Values{"limit": {"200"}})
		q := url.Values{"limit": {"2"}}
		var paged []string
		for {
			p, r := listPage(t, tok, q)
			require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
			require.LessOrEqual(t, len(p.Cases), 2)
			for _, c := range p.Cases {
				require.NotContains(t, paged, c.Code, "pages overlap")
				paged = append(paged, c.Code)
			}
			if p.NextCursor == "" {
				break
			}
			q.Set("cursor", p.NextCursor)
		}
		require.Equal(t, all, paged)
		for _, c := range filed {
			require.Contains(t, paged, c)
		}
	})

	t.Run("NewestFirst", func(t *testing.T) {
		p, r := listPage(t, tok, url.Values{"limit": {"5"}})
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		var got []string
		for _, c := range p.Cases {
			got = append(got, c.Code)
		}
		want := slices.Clone(filed)
		slices.Reverse(want)
		require.Equal(t, want, got)
	})

	t.Run("LastPageHasNoCursor", func(t *testing.T) {
		p, r := listPage(t, tok, url.Values{"limit": {"200"}})
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Less(t, len(p.Cases), 200)
		require.Empty(t, p.NextCursor)
	})

	for name, cursor := range map[string]string{
		"NotBase64":          "%%%not-a-cursor",
		"WrongPrefix":        base64.RawURLEncoding.EncodeToString([]byte("x12")),
		"NotANumber":         base64.RawURLEncoding.EncodeToString([]byte("cabc")),
		"StandardBase64Junk": "aGVsbG8=",
	} {
		t.Run("BadCursor"+name, func(t *testing.T) {
			_, r := listPage(t, tok, url.Values{"cursor": {cursor}})
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
			c, fields := errorOf(t, r)
			require.Equal(t, "invalid", c)
			require.Contains(t, fields, "cursor")
		})
	}

	for _, limit := range []string{"0", "201", "-1", "ten"} {
		t.Run("BadLimit"+limit, func(t *testing.T) {
			_, r := listPage(t, tok, url.Values{"limit": {limit}})
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
			c, fields := errorOf(t, r)
			require.Equal(t, "invalid", c)
			require.Contains(t, fields, "limit")
		})
	}
}

func TestCaseListFilters(t *testing.T) {
	tok, supervisor := login(t, "officer1"), login(t, "supervisor1")
	// June dates are used by no other test. Late on 15 June in UTC is
	// already 16 June in the province.
	early, late := report(), report()
	early["received_at"] = "2026-06-15T10:00:00+07:00"
	late["received_at"] = "2026-06-16T00:30:00+07:00"
	t.Parallel()

	a, b := mustFile(t, tok, early), mustFile(t, tok, late)
	list := func(t *testing.T, tok string, q url.Values) []string {
		t.Helper()
		return listAll(t, tok, q)
	}

	t.Run("ReceivedOnADayInTheProvincesZone", func(t *testing.T) {
		got := list(t, tok, url.Values{"received_from": {"2026-06-15"}, "received_to": {"2026-06-15"}})
		require.Contains(t, got, a)
		require.NotContains(t, got, b)
		got = list(t, tok, url.Values{"received_from": {"2026-06-16"}, "received_to": {"2026-06-16"}})
		require.Contains(t, got, b)
		require.NotContains(t, got, a)
	})

	t.Run("ReceivedRangeIncludesBothEnds", func(t *testing.T) {
		got := list(t, tok, url.Values{"received_from": {"2026-06-15"}, "received_to": {"2026-06-16"}})
		require.Contains(t, got, a)
		require.Contains(t, got, b)
		for _, c := range list(t, tok, url.Values{"received_to": {"2026-06-14"}}) {
			require.NotEqual(t, a, c)
			require.NotEqual(t, b, c)
		}
	})

	t.Run("ReceivedBoundsAsTimes", func(t *testing.T) {
		got := list(t, tok, url.Values{"received_from": {"2026-06-15T17:00:00Z"}, "received_to": {"2026-06-15T18:00:00Z"}})
		require.Contains(t, got, b)
		require.NotContains(t, got, a)
	})

	t.Run("ReceivedFromAfterEverything", func(t *testing.T) {
		require.Empty(t, list(t, tok, url.Values{"received_from": {"2030-01-01"}}))
	})

	t.Run("State", func(t *testing.T) {
		got := list(t, tok, url.Values{"state": {"received"}, "received_from": {"2026-06-15"}, "received_to": {"2026-06-16"}})
		require.Contains(t, got, a)
		require.Contains(t, got, b)
		p, r := listPage(t, tok, url.Values{"state": {"received"}, "limit": {"200"}})
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		for _, c := range p.Cases {
			require.Equal(t, "received", c.State)
		}
		require.Empty(t, list(t, tok, url.Values{"state": {"no_such_state"}}))
	})

	t.Run("Commune", func(t *testing.T) {
		june := url.Values{"received_from": {"2026-06-15"}, "received_to": {"2026-06-16"}}
		q := url.Values{"commune": {communeOfficer1}}
		for k, v := range june {
			q[k] = v
		}
		got := list(t, supervisor, q)
		require.Contains(t, got, a)
		require.Contains(t, got, b)
		q.Set("commune", communeOfficer2)
		got = list(t, supervisor, q)
		require.NotContains(t, got, a)
		require.NotContains(t, got, b)
		p, r := listPage(t, supervisor, url.Values{"commune": {communeOfficer2}, "limit": {"200"}})
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		for _, c := range p.Cases {
			require.Equal(t, communeOfficer2, c.Commune.Code)
		}
	})

	for _, param := range []string{"received_from", "received_to"} {
		t.Run("BadDate"+param, func(t *testing.T) {
			_, r := listPage(t, tok, url.Values{param: {"15/06/2026"}})
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
			c, fields := errorOf(t, r)
			require.Equal(t, "invalid", c)
			require.Contains(t, fields, param)
		})
	}
}

func TestCaseListOverdueFilter(t *testing.T) {
	tok := login(t, "officer1")
	late := report()
	late["received_at"] = time.Now().Add(-48 * time.Hour).Format(time.RFC3339) // emergency clock long overdue
	r := call(t, http.MethodPost, "/api/v1/reports", tok, late)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	lateCode := r.Body["code"].(string)
	fresh := report()
	fresh["received_at"] = time.Now().Add(-time.Minute).Format(time.RFC3339)
	r = call(t, http.MethodPost, "/api/v1/reports", tok, fresh)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	freshCode := r.Body["code"].(string)

	r = call(t, http.MethodGet, "/api/v1/cases?overdue=true&limit=200", tok, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	codes := map[string]bool{}
	for _, c := range r.Body["cases"].([]any) {
		codes[c.(map[string]any)["code"].(string)] = true
	}
	require.True(t, codes[lateCode], "a case received two days ago without emergency measures is overdue")
	require.False(t, codes[freshCode], "a case received a minute ago is not")

	r = call(t, http.MethodGet, "/api/v1/cases?overdue=maybe", tok, nil)
	code, fields := errorOf(t, r)
	require.Equal(t, "invalid", code)
	require.Contains(t, fields, "overdue")
}
