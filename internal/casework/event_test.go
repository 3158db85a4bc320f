package casework_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

// fireAt fires event on version as username and returns the error.
func fireAt(t *testing.T, username, code string, version int, event string, data map[string]any) error {
	t.Helper()
	_, err := env.cases.Fire(context.Background(), viewer(t, username), code,
		caseflow.EventRequest{Event: event, Version: version, Data: data})
	return err
}

// requireUnchanged requires the case to be still in state at version.
func requireUnchanged(t *testing.T, code, state string, version int) {
	t.Helper()
	c, err := env.cases.Summary(context.Background(), viewer(t, "officer1"), code)
	require.NoError(t, err)
	require.Equal(t, state, c.State)
	require.Equal(t, version, c.Version)
}

func TestFire(t *testing.T) {
	t.Parallel()

	t.Run("RefersToThePoliceAndStartsTheirClock", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		after := fire(t, "officer1", c.Code, "refer_police", map[string]any{"remote_commune": false})
		require.Equal(t, "police", after.State)
		require.Equal(t, 2, after.Version)
		k := clockOf(t, "police1", c.Code, "transfer_to_police")
		require.Equal(t, "running", k.Status)
		require.True(t, now.Equal(k.StartedAt), "the clock starts when the event is fired: %s", k.StartedAt)
		require.True(t, now.Add(24*time.Hour).Equal(k.DueAt), "due %s", k.DueAt)
		require.Equal(t, "CSDT-33", k.AgencyCode, "the provincial investigation agency answers for it (the jurisdiction table)")
	})

	t.Run("StaleVersionConflicts", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		fire(t, "officer1", c.Code, "assess_risk", map[string]any{"risk_level": "high"})
		err := fireAt(t, "officer1", c.Code, 1, "refer_police", map[string]any{"remote_commune": false})
		requireError(t, err, caseflow.EConflict, "version")
		// The version is checked before the request itself: whoever acts on
		// a stale case must reload it first, whatever else is wrong.
		err = fireAt(t, "officer1", c.Code, 1, "refer_police", nil)
		requireError(t, err, caseflow.EConflict, "version")
		requireUnchanged(t, c.Code, "received", 2)
	})

	t.Run("EventNotAllowedInTheStateIsInvalid", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		// The officer may draft a support plan, but only once the case is
		// in support.
		err := fireAt(t, "officer1", c.Code, 1, "draft_support_plan", map[string]any{"plan": "Kế hoạch hư cấu"})
		requireError(t, err, caseflow.EInvalid, "event")
		requireUnchanged(t, c.Code, "received", 1)
	})

	t.Run("UnknownEventIsInvalid", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		requireError(t, fireAt(t, "officer1", c.Code, 1, "no_such_event", nil), caseflow.EInvalid, "event")
	})

	t.Run("WrongRoleIsForbidden", func(t *testing.T) {
		t.Parallel()
		code := referredToPolice(t)
		// The officer sees the case in full, and accept_referral fires from
		// police, but only the police may fire it.
		requireError(t, fireAt(t, "officer1", code, 2, "accept_referral", nil), caseflow.EForbidden, "")
		requireUnchanged(t, code, "police", 2)
	})

	t.Run("FollowerIsForbidden", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		err := fireAt(t, "supervisor1", c.Code, 1, "assess_risk", map[string]any{"risk_level": "low"})
		requireError(t, err, caseflow.EForbidden, "")
		// A follower is refused before the event is looked at.
		requireError(t, fireAt(t, "supervisor1", c.Code, 1, "no_such_event", nil), caseflow.EForbidden, "")
		requireUnchanged(t, c.Code, "received", 1)
	})

	t.Run("CaseOutOfReachIsNotFound", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		// Not yet referred to them, the police may not know of the case.
		err := fireAt(t, "police1", c.Code, 1, "accept_referral", nil)
		requireError(t, err, caseflow.ENotFound, "")
	})

	t.Run("ReferralStepIsInvalid", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		for _, ev := range []string{"refer_service", "accept_service_referral", "decline_service_referral"} {
			err := fireAt(t, "officer1", c.Code, 1, ev, map[string]any{"referral_id": "1", "service": "counselling",
				"agency": "social_services", "reason": "Lý do hư cấu"})
			requireError(t, err, caseflow.EInvalid, "event")
		}
		requireUnchanged(t, c.Code, "received", 1)
	})

	t.Run("MissingRequiredDataIsInvalid", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		requireError(t, fireAt(t, "officer1", c.Code, 1, "refer_police", nil), caseflow.EInvalid, "data.remote_commune")
		requireUnchanged(t, c.Code, "received", 1)
	})

	t.Run("NoVersionIsInvalid", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		requireError(t, fireAt(t, "officer1", c.Code, 0, "assess_risk", map[string]any{"risk_level": "low"}), caseflow.EInvalid, "version")
	})
}

// eventIDs lists the ids of events.
func eventIDs(evs []*workflow.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func TestAvailableEvents(t *testing.T) {
	t.Parallel()

	t.Run("OfficerOnANewCase", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		v := viewer(t, "officer1")
		cs, err := env.cases.Case(context.Background(), v, c.Code)
		require.NoError(t, err)
		require.Equal(t, []string{"assess_risk", "record_emergency_measures", "emergency_not_needed", "refer_police",
			"route_to_support", "close_case"}, eventIDs(env.cases.AvailableEvents(cs, v)))
	})

	t.Run("ExcludesTheReferralSteps", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		v := viewer(t, "officer1")
		cs, err := env.cases.Case(context.Background(), v, c.Code)
		require.NoError(t, err)
		// The workflow itself offers the officer the referral steps too;
		// the referrals endpoints fire them.
		def, ok := env.flows.Get(cs.WorkflowID, cs.WorkflowVersion)
		require.True(t, ok)
		all := eventIDs(def.Available(cs.State, v.Role))
		require.Contains(t, all, "refer_service")
		require.Contains(t, all, "accept_service_referral")
		got := eventIDs(env.cases.AvailableEvents(cs, v))
		for _, ev := range []string{"refer_service", "accept_service_referral", "decline_service_referral"} {
			require.NotContains(t, got, ev)
		}
		require.True(t, env.cases.CanRefer(cs, v), "the officer refers through the referrals path instead")
	})

	t.Run("PoliceOnAReferredCase", func(t *testing.T) {
		t.Parallel()
		code := referredToPolice(t)
		v := viewer(t, "police1")
		cs, err := env.cases.Case(context.Background(), v, code)
		require.NoError(t, err)
		got := eventIDs(env.cases.AvailableEvents(cs, v))
		require.Contains(t, got, "accept_referral")
		require.Contains(t, got, "return_referral")
		require.NotContains(t, got, "record_emergency_measures", "an officer's event")
	})

	t.Run("NoneForAFollower", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		v := viewer(t, "supervisor1")
		cs, err := env.cases.Case(context.Background(), v, c.Code)
		require.NoError(t, err)
		require.Equal(t, caseflow.AccessSummary, cs.Access)
		require.Empty(t, env.cases.AvailableEvents(cs, v))
		require.False(t, env.cases.CanRefer(cs, v))
	})

	t.Run("NoneOnAClosedCase", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		fire(t, "officer1", c.Code, "close_case", map[string]any{"outcome": "duplicate"})
		v := viewer(t, "officer1")
		cs, err := env.cases.Case(context.Background(), v, c.Code)
		require.NoError(t, err)
		require.Equal(t, "closed", cs.State)
		require.Empty(t, env.cases.AvailableEvents(cs, v))
	})
}
