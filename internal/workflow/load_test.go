package workflow_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"caseflow/internal/workflow"
)

// TestLoadDir_Broken loads each directory under testdata, each of which
// breaks a valid definition in exactly one way, and checks the one problem
// reported: its file, its line and its message.
func TestLoadDir_Broken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dir     string
		file    string
		line    int
		message string
	}{
		{"unknown-state", "mini.yaml", 24, `event "finish": unknown state "dnoe" in to`},
		{"unreachable", "mini.yaml", 14, `state "limbo" is unreachable from initial state "open"`},
		{"no-roles", "mini.yaml", 21, `event "finish" has no roles`},
		{"unknown-role", "mini.yaml", 18, `event "note": unknown role "janitor"`},
		{"field-type", "mini.yaml", 21, `event "note": field "count" has unknown type "number"`},
		{"enum-values", "mini.yaml", 20, `event "note": enum field "kind" has no values`},
		{"clock-start", "mini.yaml", 29, `clock "respond": unknown start event "opend"`},
		{"clock-stop", "mini.yaml", 30, `clock "respond": unknown stop event "nope"`},
		{"clock-no-stop", "mini.yaml", 27, `clock "respond" has no stop events`},
		{"clock-never-stops", "mini.yaml", 29, `clock "respond" can never stop after "finish": none of its stop events can fire from there`},
		{"calendar-rule", "mini.yaml", 31, `clock "respond": unknown calendar rule "fortnights"`},
		{"unknown-agency", "mini.yaml", 10, `state "open": unknown agency type "fire_brigade"`},
		{"duplicate-id", "mini.yaml", 21, `duplicate event id "note"`},
		{"missing-initial", "mini.yaml", 2, `missing initial state`},
		{"unknown-key", "mini.yaml", 25, `unknown key "rolse" in event`},
		{"duplicate-version", "b.yaml", 3, `workflow "mini" version 1 is already defined in ` + filepath.Join("testdata", "duplicate-version", "a.yaml")},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", tt.dir)
			_, err := workflow.LoadDir(dir)
			var ve *workflow.ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, []workflow.Problem{{File: filepath.Join(dir, tt.file), Line: tt.line, Message: tt.message}}, ve.Problems)
		})
	}
}

func TestLoadDir_ValidTestdataLoads(t *testing.T) {
	t.Parallel()
	r, err := workflow.LoadDir(filepath.Join("testdata", "valid"))
	require.NoError(t, err)
	d, ok := r.Latest("mini")
	require.True(t, ok)
	require.Equal(t, 1, d.Version)
	require.Len(t, d.IntakeClocks(), 1)
	c, ok := d.Clock("respond")
	require.True(t, ok)
	require.Equal(t, workflow.DefaultWarnAt, c.WarnAt, "warn_at defaults when left out")
	require.Equal(t, []string{workflow.NotifyResponsible, workflow.NotifySupervisors}, c.Notify)
}

// TestLoadDir_ChildAbuse checks that the definition the service ships loads
// without a problem and has every clock of DESIGN §3.
func TestLoadDir_ChildAbuse(t *testing.T) {
	t.Parallel()
	r, err := workflow.LoadDir(filepath.Join("..", "..", "workflows"))
	require.NoError(t, err)
	d, ok := r.Get("child-abuse", 1)
	require.True(t, ok)
	require.Equal(t, "received", d.Initial)
	latest, _ := r.Latest("child-abuse")
	require.Equal(t, 2, latest.Version, "version 2 is loaded beside version 1")
	for _, id := range []string{"emergency_measures", "transfer_to_police", "transfer_to_police_remote",
		"procuracy_notice", "resolve_report", "tell_reporter", "exam_request", "forensic_conclusion",
		"forensic_conclusion_sexual_abuse", "investigation", "indictment", "trial_preparation", "open_hearing",
		"support_plan_drafted", "support_plan_approved", "service_referral_response"} {
		c, ok := d.Clock(id)
		require.True(t, ok, id)
		require.NotEmpty(t, c.Basis, id)
	}
	inv, _ := d.Clock("investigation")
	l, ok := inv.LimitFor("serious")
	require.True(t, ok)
	require.Equal(t, workflow.Limit{Rule: workflow.RuleMonths, Amount: 3}, l)
	l, ok = inv.MaxTotalFor("especially_serious")
	require.True(t, ok)
	require.Equal(t, workflow.Limit{Rule: workflow.RuleMonths, Amount: 20}, l)
	_, ok = inv.LimitFor("")
	require.False(t, ok, "a by-category limit needs a category")

	require.Equal(t, []string{"emergency_measures"}, clockIDs(d.IntakeClocks()))

	// The definitions are served as JSON with both languages.
	b, err := json.Marshal(r.All())
	require.NoError(t, err)
	require.Contains(t, string(b), `"vi":"Đã tiếp nhận"`)
	require.Contains(t, string(b), `"limit":{"rule":"hours","amount":12}`)
}

func TestParse_ReportsEveryProblem(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join("testdata", "valid", "mini.yaml"))
	require.NoError(t, err)
	broken := strings.NewReplacer("to: done", "to: dnoe", "rule: hours", "rule: weeks").Replace(string(src))
	_, err = workflow.Parse("mini.yaml", []byte(broken))
	var ve *workflow.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "mini.yaml:24: event \"finish\": unknown state \"dnoe\" in to\n"+
		"mini.yaml:31: clock \"respond\": unknown calendar rule \"weeks\"", err.Error())
}

func TestParse_SyntaxAndTypeErrorsHaveLines(t *testing.T) {
	t.Parallel()
	_, err := workflow.Parse("x.yaml", []byte("id: x\nversion: [1\n"))
	var ve *workflow.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Problems, 1)
	require.Equal(t, "x.yaml", ve.Problems[0].File)
	require.Positive(t, ve.Problems[0].Line)

	_, err = workflow.Parse("x.yaml", []byte("id: x\nversion: one\n"))
	require.ErrorAs(t, err, &ve)
	require.Equal(t, []workflow.Problem{{File: "x.yaml", Line: 2, Message: "cannot unmarshal !!str `one` into int"}}, ve.Problems)
}

func TestRegistry_VersionsAndLatest(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join("testdata", "valid", "mini.yaml"))
	require.NoError(t, err)
	fsys := fstest.MapFS{
		"defs/mini.v1.yaml": {Data: src},
		"defs/mini.v2.yaml": {Data: []byte(strings.Replace(string(src), "version: 1", "version: 2", 1))},
		"defs/notes.txt":    {Data: []byte("not a definition")},
	}
	r, err := workflow.LoadFS(fsys, "defs")
	require.NoError(t, err)
	require.Len(t, r.All(), 2)
	d, ok := r.Latest("mini")
	require.True(t, ok)
	require.Equal(t, 2, d.Version)
	d, ok = r.Get("mini", 1)
	require.True(t, ok)
	require.Equal(t, 1, d.Version)
	_, ok = r.Get("mini", 3)
	require.False(t, ok)
	_, ok = r.Latest("other")
	require.False(t, ok)

	_, err = workflow.LoadFS(fsys, "nowhere")
	require.Error(t, err)
	require.False(t, errors.As(err, new(*workflow.ValidationError)), "an empty directory is not a validation problem")
}

func clockIDs(cs []*workflow.Clock) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}
