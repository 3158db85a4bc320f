package caseflow

import (
	"errors"
	"strings"
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

func fieldsOf(t *testing.T, err error) map[string]FieldError {
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
		code  FieldCode
	}{
		{"ReceivedInTheFuture", func(r *Report) { r.ReceivedAt = now.Add(time.Hour) }, "received_at", FieldInFuture},
		{"ReceivedLongAgo", func(r *Report) { r.ReceivedAt = now.AddDate(-6, 0, 0) }, "received_at", FieldTooOld},
		{"UnknownChannel", func(r *Report) { r.Channel = "fax" }, "channel", FieldNotOneOf},
		{"NoAbuseType", func(r *Report) { r.AbuseTypes = nil }, "abuse_types", FieldRequired},
		{"UnknownAbuseType", func(r *Report) { r.AbuseTypes = []string{"sexual", "bullying"} }, "abuse_types", FieldNotOneOf},
		{"RepeatedAbuseType", func(r *Report) { r.AbuseTypes = []string{"sexual", "sexual"} }, "abuse_types", FieldDuplicate},
		{"UnknownSetting", func(r *Report) { r.Setting = "church" }, "setting", FieldNotOneOf},
		{"NoChild", func(r *Report) { r.Children = nil }, "children", FieldRequired},
		{"ChildOf18ByAge", func(r *Report) { r.Children[0].DateOfBirth, r.Children[0].Age = "", age(18) }, "children[0].age", FieldOutOfRange},
		{"ChildOf18ByBirthday", func(r *Report) { r.Children[0].DateOfBirth = "2008-11-29" }, "children[0].date_of_birth", FieldNotAChild},
		{"ChildBornAfterTheReport", func(r *Report) { r.Children[0].DateOfBirth = "2026-12-01" }, "children[0].date_of_birth", FieldAfterReceived},
		{"ChildWithoutAgeOrBirthday", func(r *Report) { r.Children[0].DateOfBirth = "" }, "children[0].date_of_birth", FieldRequired},
		{"AgeContradictsBirthday", func(r *Report) { r.Children[0].Age = age(3) }, "children[0].age", FieldAgeMismatch},
		{"ChildWithoutName", func(r *Report) { r.Children[0].FullName = "  " }, "children[0].full_name", FieldRequired},
		{"SuspectWithBadSex", func(r *Report) { r.Suspects = []Person{{Sex: "x"}} }, "suspects[0].sex", FieldNotOneOf},
		{"ReporterWithBadPhone", func(r *Report) { r.Reporter = &Person{Phone: "call me"} }, "reporter.phone", FieldNotAPhone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := validReport()
			tc.edit(r)
			f := fieldsOf(t, r.Validate(now))
			require.Contains(t, f, tc.field)
			require.Equal(t, tc.code, f[tc.field].Code, f[tc.field].Message)
			require.NotEmpty(t, f[tc.field].Message)
		})
	}

	t.Run("ParametersComeWithTheCode", func(t *testing.T) {
		r := validReport()
		r.Channel, r.Children[0].DateOfBirth, r.Children[0].Age = "fax", "", age(18)
		r.Narrative = strings.Repeat("x", MaxNarrative+1)
		f := fieldsOf(t, r.Validate(now))
		require.Equal(t, Channels, f["channel"].Allowed)
		require.Equal(t, [2]int{0, 17}, [2]int{f["children[0].age"].Min, f["children[0].age"].Max})
		require.Equal(t, MaxNarrative, f["narrative"].Max)
	})
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

func TestWhyAnAgencyDoesNotAct(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	end := day("2025-02-28")
	a := Agency{Name: "Công an huyện Văn Lâm", ValidFrom: day("2020-01-01"), ValidTo: &end}
	require.Equal(t, "", a.WhyNotActing(day("2025-02-28")))
	require.Equal(t, "Công an huyện Văn Lâm stopped acting on 28 February 2025", a.WhyNotActing(day("2025-03-01")))
	b := Agency{Name: "Tòa án nhân dân khu vực 1 - Hưng Yên", ValidFrom: day("2025-07-01")}
	require.Equal(t, "Tòa án nhân dân khu vực 1 - Hưng Yên acts only from 1 July 2025", b.WhyNotActing(day("2025-06-30")), "no end date: no crash")
}

func TestAgeWhen(t *testing.T) {
	on := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC) // 2 March in Vietnam
	seven := 7
	for _, c := range []struct {
		name string
		age  *int
		dob  string
		want any
	}{
		{"recorded", &seven, "2015-01-01", 7},
		{"birthday that day in Vietnam", nil, "2016-03-02", 10},
		{"birthday tomorrow", nil, "2016-03-03", 9},
		{"unknown", nil, "", nil},
		{"not a date", nil, "02/03/2016", nil},
		{"born after", nil, "2026-05-01", nil},
	} {
		got := AgeWhen(c.age, c.dob, on)
		if c.want == nil {
			if got != nil {
				t.Errorf("%s: %d, want none", c.name, *got)
			}
			continue
		}
		if got == nil || *got != c.want.(int) {
			t.Errorf("%s: %v, want %d", c.name, got, c.want)
		}
	}
}

func TestBlank(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, "   ": true, "\t\n": true, "\u200b\u200c\u200d": true, "\ufeff": true, "\u00ad": true, "\u2060 ": true,
		"a": false, " Bé ": false, "\u200bA": false, "Ư": false,
	} {
		require.Equal(t, want, Blank(s), "%q", s)
	}
}

func TestRetentionPolicy(t *testing.T) {
	p, err := ParseRetention("default=10, convicted=keep, duplicate=2")
	require.NoError(t, err)
	require.True(t, p.Enabled())
	closed := time.Date(2020, 2, 29, 18, 0, 0, 0, time.UTC) // 1 March 01:00 in Vietnam
	at, ok := p.ShredAfter("duplicate", closed)
	require.True(t, ok)
	require.Equal(t, "2022-03-01", at.Format("2006-01-02"), "years on Vietnam's calendar")
	_, ok = p.ShredAfter("convicted", closed)
	require.False(t, ok, "a conviction's file is kept")
	at, _ = p.ShredAfter("not_prosecuted", closed)
	require.Equal(t, 2030, at.Year(), "an outcome not named follows the default")
	n, _ := p.Shortest()
	require.Equal(t, 2, n)
	require.Equal(t, "default=10,convicted=keep,duplicate=2", p.String())

	none, err := ParseRetention("")
	require.NoError(t, err)
	require.False(t, none.Enabled(), "no policy erases nothing")
	_, ok = none.ShredAfter("duplicate", closed)
	require.False(t, ok)
	for _, bad := range []string{"x", "duplicate=two", "duplicate=-1", "default=1,default=2", "a=1,a=2", "=3"} {
		_, err := ParseRetention(bad)
		require.Error(t, err, bad)
	}
}
