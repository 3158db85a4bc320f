package server_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// storedValues returns one column of a case's people, child first, then
// reporter, then suspect.
func storedValues(t *testing.T, code, column string) []string {
	t.Helper()
	out, err := env.db.QueryStrings(context.Background(),
		`SELECT p.`+column+` FROM case_people p JOIN cases c ON c.id = p.case_id WHERE c.code = ? ORDER BY p.kind, p.position`, code)
	require.NoError(t, err)
	return out
}

func TestPersonalDataIsEncryptedAtRest(t *testing.T) {
	tok := login(t, "officer1")
	body := report()
	t.Parallel()

	code := mustFile(t, tok, body)
	// Sealed with the case's own data key, which the key ring's active key
	// wraps.
	sealed := regexp.MustCompile(`^c1\.[A-Za-z0-9+/]+$`)
	wrapped, err := env.db.QueryStrings(context.Background(), `SELECT k.kek_id || ' ' || k.wrapped FROM case_keys k JOIN cases c ON c.id = k.case_id WHERE c.code = ?`, code)
	require.NoError(t, err)
	require.Len(t, wrapped, 1, "the case has a data key")
	require.Regexp(t, `^`+regexp.QuoteMeta(env.db.DB.Keys.ActiveKeyID())+` v1\.`+regexp.QuoteMeta(env.db.DB.Keys.ActiveKeyID())+`\.`, wrapped[0])
	kid, rep := firstChild(body), reporterOf(body)
	suspect := body["suspects"].([]map[string]any)[0]

	for column, plain := range map[string][]string{
		"full_name_enc":     {kid["full_name"].(string), rep["full_name"].(string), suspect["full_name"].(string)},
		"date_of_birth_enc": {kid["date_of_birth"].(string), "", ""},
		"address_enc":       {kid["address"].(string), "", ""},
		"phone_enc":         {"", rep["phone"].(string), ""},
	} {
		t.Run(column, func(t *testing.T) {
			stored := storedValues(t, code, column)
			require.Len(t, stored, len(plain))
			for i, p := range plain {
				if p == "" {
					require.Empty(t, stored[i])
					continue
				}
				require.Regexp(t, sealed, stored[i])
				require.NotContains(t, stored[i], p)
			}
		})
	}

	t.Run("narrative_enc", func(t *testing.T) {
		stored, err := env.db.QueryStrings(context.Background(), `SELECT narrative_enc FROM cases WHERE code = ?`, code)
		require.NoError(t, err)
		require.Len(t, stored, 1)
		require.Regexp(t, sealed, stored[0])
		require.NotContains(t, stored[0], body["narrative"].(string))
	})

	t.Run("NoPlainValueAnywhereInTheCaseRows", func(t *testing.T) {
		rows, err := env.db.QueryStrings(context.Background(), `
			SELECT row_to_json(c)::text FROM cases c WHERE c.code = ?
			UNION ALL SELECT row_to_json(p)::text FROM case_people p JOIN cases c ON c.id = p.case_id WHERE c.code = ?
			UNION ALL SELECT row_to_json(h)::text FROM case_history h JOIN cases c ON c.id = h.case_id WHERE c.code = ?
			UNION ALL SELECT row_to_json(a)::text FROM audit_log a WHERE a.case_code = ?`, code, code, code, code)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(rows), 5, "case, three people, history")
		all := strings.Join(rows, "\n")
		for _, v := range personalValues(body) {
			require.NotContains(t, all, v)
		}
	})

	t.Run("SameValueSealsDifferentlyEachTime", func(t *testing.T) {
		again := report()
		firstChild(again)["address"] = kid["address"]
		other := mustFile(t, tok, again)
		require.NotEqual(t, storedValues(t, code, "address_enc")[0], storedValues(t, other, "address_enc")[0])
	})

	t.Run("OnlyChildrenWithDateOfBirthAreIndexed", func(t *testing.T) {
		idx, err := env.db.QueryStrings(context.Background(), `SELECT p.kind || ':' || (p.blind_index IS NOT NULL)::text
			FROM case_people p JOIN cases c ON c.id = p.case_id WHERE c.code = ? ORDER BY p.kind, p.position`, code)
		require.NoError(t, err)
		require.Equal(t, []string{"child:true", "reporter:false", "suspect:false"}, idx)
	})
}

func TestPossibleDuplicates(t *testing.T) {
	tok, tok2 := login(t, "officer1"), login(t, "officer2")
	first := report()
	name, dob := firstChild(first)["full_name"].(string), firstChild(first)["date_of_birth"].(string)
	sameChild := report()
	firstChild(sameChild)["full_name"], firstChild(sameChild)["date_of_birth"] = name, dob
	// The same name written without diacritics, in other case and spacing.
	spelled := report()
	plain := "  " + strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(
		name, "é", "e"), "ư", "u"), "ấ", "a"), "ố", "o")) + "  "
	remember(plain)
	firstChild(spelled)["full_name"], firstChild(spelled)["date_of_birth"] = plain, dob
	otherDOB := report()
	firstChild(otherDOB)["full_name"], firstChild(otherDOB)["date_of_birth"] = name, "2015-03-03"
	onlyAge := report()
	firstChild(onlyAge)["full_name"] = name
	delete(firstChild(onlyAge), "date_of_birth")
	firstChild(onlyAge)["age"] = 11
	otherCommune := forOfficer2(report())
	firstChild(otherCommune)["full_name"], firstChild(otherCommune)["date_of_birth"] = name, dob
	longAgo := report()
	longAgo["received_at"] = "2026-05-20T09:00:00+07:00"
	firstChild(longAgo)["full_name"], firstChild(longAgo)["date_of_birth"] = name, dob
	t.Parallel()

	r := fileReport(t, tok, first)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	firstCode := r.Body["code"].(string)
	require.Equal(t, []any{}, r.Body["possible_duplicates"], "the first report has no duplicate")

	dups := func(t *testing.T, tok string, body map[string]any) []any {
		t.Helper()
		r := fileReport(t, tok, body)
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		d, ok := r.Body["possible_duplicates"].([]any)
		require.True(t, ok, "possible_duplicates is a list: %s", r.Raw)
		require.NotContains(t, d, r.Body["code"], "a case is not its own duplicate")
		return d
	}

	t.Run("SameNameAndDateOfBirthIsFlagged", func(t *testing.T) {
		require.Contains(t, dups(t, tok, sameChild), firstCode)
	})
	t.Run("SpellingOfTheNameDoesNotMatter", func(t *testing.T) {
		require.Contains(t, dups(t, tok, spelled), firstCode)
	})
	t.Run("OtherDateOfBirthIsNotFlagged", func(t *testing.T) {
		require.NotContains(t, dups(t, tok, otherDOB), firstCode)
	})
	t.Run("AgeAloneIsNotMatched", func(t *testing.T) {
		require.NotContains(t, dups(t, tok, onlyAge), firstCode)
	})
	t.Run("MoreThan90DaysApartIsNotFlagged", func(t *testing.T) {
		require.NotContains(t, dups(t, tok, longAgo), firstCode)
	})
	t.Run("CaseTheOfficerMayNotSeeIsNotRevealed", func(t *testing.T) {
		require.NotContains(t, dups(t, tok2, otherCommune), firstCode)
	})
}
