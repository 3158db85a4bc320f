package casework_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
)

// refer refers a service for a new case as officer1 and returns the case
// code and the pending referral.
func refer(t *testing.T, service, agency string) (string, *caseflow.Referral) {
	t.Helper()
	c := file(t, now.Add(-time.Hour))
	r, err := env.cases.Refer(context.Background(), viewer(t, "officer1"), c.Code, service, agency, "Cần hỗ trợ (hư cấu)")
	require.NoError(t, err)
	return c.Code, r
}

// respond answers a referral as username.
func respond(t *testing.T, username string, id int64, action, note string) (*caseflow.Referral, error) {
	t.Helper()
	return env.cases.RespondReferral(context.Background(), viewer(t, username), id, action, note)
}

// referralStatus returns the status of a referral of a case, as username
// sees it.
func referralStatus(t *testing.T, username, code string, id int64) string {
	t.Helper()
	refs, err := env.cases.Referrals(context.Background(), viewer(t, username), code)
	require.NoError(t, err)
	for _, r := range refs {
		if r.ID == id {
			return r.Status
		}
	}
	t.Fatalf("%s sees no referral %d of case %s", username, id, code)
	return ""
}

// referralClock returns the response clock of one referral.
func referralClock(t *testing.T, code string, id int64) caseflow.Clock {
	t.Helper()
	_, ks, err := env.cases.Clocks(context.Background(), viewer(t, "officer1"), code)
	require.NoError(t, err)
	for _, k := range ks {
		if k.Clock == "service_referral_response" && k.Instance == strconv.FormatInt(id, 10) {
			return k
		}
	}
	t.Fatalf("case %s has no response clock for referral %d", code, id)
	return caseflow.Clock{}
}

func TestRefer(t *testing.T) {
	t.Parallel()

	t.Run("OfficerRefersAServiceAtIntake", func(t *testing.T) {
		t.Parallel()
		code, r := refer(t, "counselling", "CTXH-33")
		require.Positive(t, r.ID)
		require.Equal(t, code, r.CaseCode)
		require.Equal(t, "counselling", r.Service)
		require.Equal(t, "CTXH-33", r.Agency.Code)
		require.Equal(t, caseflow.ReferralPending, r.Status)

		c, err := env.cases.Summary(context.Background(), viewer(t, "officer1"), code)
		require.NoError(t, err)
		require.Equal(t, "received", c.State, "a referral does not move the case")
		require.Equal(t, 2, c.Version, "but it is a transition")

		k := referralClock(t, code, r.ID)
		require.Equal(t, "running", k.Status)
		require.Equal(t, "CTXH-33", k.AgencyCode, "the chosen provider answers for it")

		seen, err := env.cases.Case(context.Background(), viewer(t, "social1"), code)
		require.NoError(t, err)
		require.Equal(t, caseflow.AccessService, seen.Access, "the provider sees what the service needs")
		require.Empty(t, seen.Narrative)
	})

	t.Run("BadInputIsInvalid", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		v := viewer(t, "officer1")
		for _, tc := range []struct{ service, agency, field string }{
			{"astrology", "CTXH-33", "service"},
			{"counselling", "", "agency_code"},
			{"counselling", "NO-SUCH-AGENCY", "agency_code"},
			{"medical_care", "CTXH-33", "agency_code"}, // social services give no medical care
		} {
			_, err := env.cases.Refer(context.Background(), v, c.Code, tc.service, tc.agency, "")
			requireError(t, err, caseflow.EInvalid, tc.field)
		}
		refs, err := env.cases.Referrals(context.Background(), v, c.Code)
		require.NoError(t, err)
		require.Empty(t, refs)
	})

	t.Run("FollowerMayNotRefer", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		_, err := env.cases.Refer(context.Background(), viewer(t, "supervisor1"), c.Code, "counselling", "CTXH-33", "")
		requireError(t, err, caseflow.EForbidden, "")
	})

	t.Run("NotOnceClosed", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		fire(t, "officer1", c.Code, "close_case", map[string]any{"outcome": "duplicate"})
		_, err := env.cases.Refer(context.Background(), viewer(t, "officer1"), c.Code, "counselling", "CTXH-33", "")
		requireError(t, err, caseflow.EInvalid, "event")
	})
}

func TestRespondReferral(t *testing.T) {
	t.Parallel()

	t.Run("ReceivingAgencyAccepts", func(t *testing.T) {
		t.Parallel()
		code, r := refer(t, "counselling", "CTXH-33")
		got, err := respond(t, "social1", r.ID, "accept", "")
		require.NoError(t, err)
		require.Equal(t, caseflow.ReferralAccepted, got.Status)
		k := referralClock(t, code, r.ID)
		require.Equal(t, "stopped", k.Status, "answering stops the response clock")

		_, err = respond(t, "social1", r.ID, "accept", "")
		requireError(t, err, caseflow.EInvalid, "status")
		_, err = respond(t, "social1", r.ID, "decline", "Đổi ý (hư cấu)")
		requireError(t, err, caseflow.EInvalid, "status")

		done, err := respond(t, "social1", r.ID, "done", "Đã tư vấn (hư cấu)")
		require.NoError(t, err)
		require.Equal(t, caseflow.ReferralDone, done.Status)
		require.Equal(t, caseflow.ReferralDone, referralStatus(t, "officer1", code, r.ID))
	})

	t.Run("DeclineNeedsAReason", func(t *testing.T) {
		t.Parallel()
		code, r := refer(t, "medical_care", "PY-33")
		for _, note := range []string{"", "   "} {
			_, err := respond(t, "health1", r.ID, "decline", note)
			requireError(t, err, caseflow.EInvalid, "note")
		}
		require.Equal(t, caseflow.ReferralPending, referralStatus(t, "health1", code, r.ID))
	})

	t.Run("DecliningEndsTheProvidersAccess", func(t *testing.T) {
		t.Parallel()
		code, r := refer(t, "medical_care", "PY-33")
		v := viewer(t, "health1")
		_, err := env.cases.Case(context.Background(), v, code)
		require.NoError(t, err)

		got, err := respond(t, "health1", r.ID, "decline", "Không đủ chuyên khoa nhi (hư cấu)")
		require.NoError(t, err)
		require.Equal(t, caseflow.ReferralDeclined, got.Status)
		_, err = env.cases.Case(context.Background(), v, code)
		requireError(t, err, caseflow.ENotFound, "")
		require.Equal(t, "stopped", referralClock(t, code, r.ID).Status)
	})

	t.Run("OnlyTheReceivingAgencyAnswers", func(t *testing.T) {
		t.Parallel()
		code, r := refer(t, "counselling", "CTXH-33")
		// The referring officer sees the referral but did not receive it.
		_, err := respond(t, "officer1", r.ID, "accept", "")
		requireError(t, err, caseflow.EForbidden, "")
		// Another provider may not even know of it.
		_, err = respond(t, "health1", r.ID, "accept", "")
		requireError(t, err, caseflow.ENotFound, "")
		require.Equal(t, caseflow.ReferralPending, referralStatus(t, "social1", code, r.ID))
	})

	t.Run("DoneBeforeAcceptedIsRefused", func(t *testing.T) {
		t.Parallel()
		_, r := refer(t, "counselling", "CTXH-33")
		_, err := respond(t, "social1", r.ID, "done", "")
		requireError(t, err, caseflow.EInvalid, "status")
	})

	t.Run("UnknownActionIsNotFound", func(t *testing.T) {
		t.Parallel()
		_, r := refer(t, "counselling", "CTXH-33")
		_, err := respond(t, "social1", r.ID, "ignore", "")
		requireError(t, err, caseflow.ENotFound, "")
	})
}
