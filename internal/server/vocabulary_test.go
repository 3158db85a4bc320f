package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/server"
	"caseflow/internal/testenv"
	"caseflow/internal/workflow"
)

// referralStory is what a client sees of a case's service referrals.
type referralStory struct {
	Statuses        []string // of the referral, after referring, accepting, referring and declining
	ReferralOffered bool     // whether available_events offers a referral step
	EventsRefused   string   // the field named when a referral step is sent to the events endpoint
	AcceptedVersion int      // the case version after the referral was accepted
}

// tellReferrals files a report through the server at base, refers it twice
// and answers each referral, and returns what the client saw.
func tellReferrals(t *testing.T, base string, flows *workflow.Registry) referralStory {
	t.Helper()
	officer, social := login(t, "officer1"), login(t, "social1")
	var story referralStory
	r := callAt(t, base, http.MethodPost, "/api/v1/reports", officer, report())
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	code := r.Body["code"].(string)
	def, ok := flows.Latest("child-abuse")
	require.True(t, ok)
	for _, ev := range r.Body["available_events"].([]any) {
		if e, ok := def.Event(ev.(map[string]any)["name"].(string)); ok && e.IsReferralStep() {
			story.ReferralOffered = true
		}
	}
	refer, ok := def.EventWith(caseflow.EventServiceReferral)
	require.True(t, ok)
	r = callAt(t, base, http.MethodPost, "/api/v1/cases/"+code+"/events", officer,
		map[string]any{"event": refer.ID, "version": 1, "data": map[string]any{}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	_, fields := errorOf(t, r)
	for k := range fields {
		story.EventsRefused = k
	}

	answer := func(action, note string) int64 {
		r := callAt(t, base, http.MethodPost, "/api/v1/cases/"+code+"/referrals", officer,
			map[string]any{"service": "counselling", "agency_code": "CTXH-33", "note": "Cần tư vấn"})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		story.Statuses = append(story.Statuses, r.Body["status"].(string))
		id := int64(r.Body["id"].(float64))
		var body any
		if note != "" {
			body = map[string]any{"note": note}
		}
		r = callAt(t, base, http.MethodPost, fmt.Sprintf("/api/v1/referrals/%d/%s", id, action), social, body)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		story.Statuses = append(story.Statuses, r.Body["status"].(string))
		return id
	}
	answer("accept", "")
	c := callAt(t, base, http.MethodGet, "/api/v1/cases/"+code, officer, nil)
	require.Equal(t, http.StatusOK, c.Status, string(c.Raw))
	story.AcceptedVersion = int(c.Body["version"].(float64))
	answer("decline", "Không đủ người")
	return story
}

// TestRenamedWorkflowKeepsReferrals runs the same referrals through a server
// whose workflow has every event and clock renamed: what the client sees is
// the same, because referrals follow the events' declared roles.
func TestRenamedWorkflowKeepsReferrals(t *testing.T) {
	renamed, err := workflow.LoadDir(testenv.RenamedWorkflows(t, "../../workflows"))
	require.NoError(t, err)
	def, _ := renamed.Latest("child-abuse")
	_, kept := def.Event("refer_service")
	require.False(t, kept, "the copy still has an event of the original's name")

	srv := serverWith(t, func(c *server.Config) {
		c.Workflows = renamed
		c.Cases = casework.New(casework.Config{Store: env.db.DB, Workflows: renamed, WorkflowID: "child-abuse", WorkflowVersion: 1})
	})
	original := tellReferrals(t, env.srv.URL, env.flows)
	again := tellReferrals(t, srv.URL, renamed)
	require.Equal(t, []string{"pending", "accepted", "pending", "declined"}, original.Statuses)
	require.False(t, original.ReferralOffered, "the events endpoint never offers a referral step")
	require.Equal(t, "event", original.EventsRefused)
	require.Equal(t, original, again)
	require.False(t, slices.Contains(again.Statuses, ""))
}
