package caseflow

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func validReport() *Report {
	return &Report{
		ReceivedAt: time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC), Channel: "hotline_111", CommuneCode: "12005",
		AbuseTypes: []string{"sexual"}, Setting: "family",
		Children: []Person{{FullName: "Bé Hư Cấu", Sex: "female", DateOfBirth: "2015-03-02"}},
	}
}

func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	var e *Error
	require.True(t, errors.As(err, &e), "want *Error, got %v", err)
	require.Equal(t, EInvalid, e.Code)
	return e.Fields
}

func TestReportValidate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	age := func(n int) *int { return &n }

	require.NoError(t, validReport().Validate(now))

	for _, tc := range []struct {
		name  string
		edit  func(r *Report)
		field string
	}{
		{"ReceivedInTheFuture", func(r *Report) { r.ReceivedAt = now.Add(time.Hour) }, "received_at"},
		{"UnknownChannel", func(r *Report) { r.Channel = "fax" }, "channel"},
		{"UnknownAbuseType", func(r *Report) { r.AbuseTypes = []string{"sexual", "bullying"} }, "abuse_types"},
		{"RepeatedAbuseType", func(r *Report) { r.AbuseTypes = []string{"sexual", "sexual"} }, "abuse_types"},
		{"UnknownSetting", func(r *Report) { r.Setting = "church" }, "setting"},
		{"NoChild", func(r *Report) { r.Children = nil }, "children"},
		{"ChildOf18ByAge", func(r *Report) { r.Children[0].DateOfBirth, r.Children[0].Age = "", age(18) }, "children[0].age"},
		{"ChildOf18ByBirthday", func(r *Report) { r.Children[0].DateOfBirth = "2008-11-29" }, "children[0].date_of_birth"},
		{"ChildBornAfterTheReport", func(r *Report) { r.Children[0].DateOfBirth = "2026-12-01" }, "children[0].date_of_birth"},
		{"ChildWithoutAgeOrBirthday", func(r *Report) { r.Children[0].DateOfBirth = "" }, "children[0].date_of_birth"},
		{"AgeContradictsBirthday", func(r *Report) { r.Children[0].Age = age(3) }, "children[0].age"},
		{"ChildWithoutName", func(r *Report) { r.Children[0].FullName = "  " }, "children[0].full_name"},
		{"SuspectWithBadSex", func(r *Report) { r.Suspects = []Person{{Sex: "x"}} }, "suspects[0].sex"},
		{"ReporterWithBadPhone", func(r *Report) { r.Reporter = &Person{Phone: "call me"} }, "reporter.phone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := validReport()
			tc.edit(r)
			require.Contains(t, fieldsOf(t, r.Validate(now)), tc.field)
		})
	}

	t.Run("ChildTurning18TomorrowIsAChild", func(t *testing.T) {
		r := validReport()
		r.Children[0].DateOfBirth = "2008-11-30"
		require.NoError(t, r.Validate(now))
	})
	t.Run("EveryBadFieldIsNamedAtOnce", func(t *testing.T) {
		r := validReport()
		r.Channel, r.Setting, r.Children = "", "", nil
		f := fieldsOf(t, r.Validate(now))
		require.Contains(t, f, "channel")
		require.Contains(t, f, "setting")
		require.Contains(t, f, "children")
	})
}

func TestErrorCodeHidesInternalErrors(t *testing.T) {
	t.Parallel()
	err := errors.New("pq: connection refused at 10.0.0.1")
	require.Equal(t, EInternal, ErrorCode(err))
	require.Equal(t, "internal error", ErrorMessage(err))
	require.Equal(t, ENotFound, ErrorCode(Errorf(ENotFound, "no case")))
}
