package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/testenv"
)

// These tests compare row counts, so they do not run in parallel with tests
// that file reports.

func TestIdempotencyKey(t *testing.T) {
	tok := login(t, "officer1")

	t.Run("RetryReturnsTheSameCase", func(t *testing.T) {
		raw, err := json.Marshal(report())
		require.NoError(t, err)
		key := "retry-" + testenv.Suffix()
		before := rowCounts(t)

		first := fileReport(t, tok, raw, "Idempotency-Key", key)
		require.Equal(t, http.StatusCreated, first.Status, string(first.Raw))
		second := fileReport(t, tok, raw, "Idempotency-Key", key)
		require.Equal(t, http.StatusOK, second.Status, string(second.Raw))

		require.Equal(t, first.Body["code"], second.Body["code"])
		require.Equal(t, first.Header.Get("Location"), second.Header.Get("Location"))
		require.Equal(t, first.Body["children"], second.Body["children"])
		after := rowCounts(t)
		require.Equal(t, before["cases"]+1, after["cases"], "one case, not two")
		require.Equal(t, before["case_people"]+3, after["case_people"], "child, suspect and reporter, once")
		require.Equal(t, before["idempotency_keys"]+1, after["idempotency_keys"])

		t.Run("WhitespaceIsTheSameRequest", func(t *testing.T) {
			var indented bytes.Buffer
			require.NoError(t, json.Indent(&indented, raw, "", "    "))
			again := fileReport(t, tok, indented.Bytes(), "Idempotency-Key", key)
			require.Equal(t, http.StatusOK, again.Status, string(again.Raw))
			require.Equal(t, first.Body["code"], again.Body["code"])
			requireNothingWritten(t, after)
		})
	})

	t.Run("SameKeyDifferentBodyConflicts", func(t *testing.T) {
		key := "conflict-" + testenv.Suffix()
		body := report()
		first := fileReport(t, tok, body, "Idempotency-Key", key)
		require.Equal(t, http.StatusCreated, first.Status, string(first.Raw))

		before := rowCounts(t)
		body["narrative"] = body["narrative"].(string) + " (bổ sung)"
		r := fileReport(t, tok, body, "Idempotency-Key", key)
		require.Equal(t, http.StatusConflict, r.Status, string(r.Raw))
		code, fields := errorOf(t, r)
		require.Equal(t, "conflict", code)
		require.Contains(t, fields, "Idempotency-Key")
		require.NotContains(t, string(r.Raw), first.Body["code"], "a conflict does not reveal the case")
		requireNothingWritten(t, before)
	})

	t.Run("EachUserHasTheirOwnKeys", func(t *testing.T) {
		tok2 := login(t, "officer2")
		key := "shared-" + testenv.Suffix()
		before := rowCounts(t)
		a := fileReport(t, tok, report(), "Idempotency-Key", key)
		require.Equal(t, http.StatusCreated, a.Status, string(a.Raw))
		b := fileReport(t, tok2, forOfficer2(report()), "Idempotency-Key", key)
		require.Equal(t, http.StatusCreated, b.Status, string(b.Raw))
		require.NotEqual(t, a.Body["code"], b.Body["code"])
		after := rowCounts(t)
		require.Equal(t, before["cases"]+2, after["cases"])
		require.Equal(t, before["idempotency_keys"]+2, after["idempotency_keys"])
	})

	t.Run("RefusedRequestDoesNotUseUpTheKey", func(t *testing.T) {
		key := "refused-" + testenv.Suffix()
		body := report()
		body["commune_code"] = communeOfficer2
		before := rowCounts(t)
		r := fileReport(t, tok, body, "Idempotency-Key", key)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
		requireNothingWritten(t, before)

		body["commune_code"] = communeOfficer1
		r = fileReport(t, tok, body, "Idempotency-Key", key)
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	})

	t.Run("OverlongKeyIsInvalid", func(t *testing.T) {
		before := rowCounts(t)
		r := fileReport(t, tok, report(), "Idempotency-Key", strings.Repeat("k", 201))
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
		code, fields := errorOf(t, r)
		require.Equal(t, "invalid", code)
		require.Contains(t, fields, "Idempotency-Key")
		requireNothingWritten(t, before)
	})

	t.Run("ConcurrentRetriesMakeOneCase", func(t *testing.T) {
		raw, err := json.Marshal(report())
		require.NoError(t, err)
		key := "race-" + testenv.Suffix()
		before := rowCounts(t)

		answers := postAtOnce(t, 10, "/api/v1/reports", tok, func(int) []byte { return raw }, "Idempotency-Key", key)
		created := 0
		code := answers[0].Body["code"]
		require.NotEmpty(t, code, string(answers[0].Raw))
		for _, a := range answers {
			require.Contains(t, []int{http.StatusCreated, http.StatusOK}, a.Status, string(a.Raw))
			if a.Status == http.StatusCreated {
				created++
			}
			require.Equal(t, code, a.Body["code"])
		}
		require.Equal(t, 1, created, "exactly one request creates the case")
		after := rowCounts(t)
		require.Equal(t, before["cases"]+1, after["cases"])
		require.Equal(t, before["idempotency_keys"]+1, after["idempotency_keys"])
	})
}
