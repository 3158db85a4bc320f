package server_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/workflow"
)

// refer makes a service referral as user and returns the answer.
func (c *wfCase) refer(t *testing.T, user, service, agency, note string) response {
	t.Helper()
	return call(t, http.MethodPost, c.path("/referrals"), login(t, user),
		map[string]any{"service": service, "agency_code": agency, "note": note})
}

// mustRefer makes a service referral as user and requires a new pending
// referral; referring is a transition, so the case moves one version up.
func (c *wfCase) mustRefer(t *testing.T, user, service, agency string) int64 {
	t.Helper()
	note := "Cần hỗ trợ " + service
	r := c.refer(t, user, service, agency, note)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	require.Equal(t, c.code, r.Body["case_code"])
	require.Equal(t, service, r.Body["service"])
	require.Equal(t, "pending", r.Body["status"])
	require.Equal(t, note, r.Body["note"])
	a, _ := r.Body["agency"].(map[string]any)
	require.Equal(t, agency, a["code"])
	require.NotEmpty(t, a["name"])
	require.NotEmpty(t, a["type"])
	id, _ := r.Body["id"].(float64)
	require.Positive(t, id)
	c.record(user, "refer_service", c.state)
	require.EqualValues(t, c.version, c.requireSees(t, c.owner, "full")["version"])
	return int64(id)
}

// answerReferral posts accept, decline or done on a referral as user.
func answerReferral(t *testing.T, user string, id int64, action, note string) response {
	t.Helper()
	var body any
	if note != "" {
		body = map[string]any{"note": note}
	}
	return call(t, http.MethodPost, fmt.Sprintf("/api/v1/referrals/%d/%s", id, action), login(t, user), body)
}

// requireInvalid requires a 422 naming field.
func requireInvalid(t *testing.T, r response, field string) {
	t.Helper()
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	code, fields := errorOf(t, r)
	require.Equal(t, "invalid", code)
	require.Contains(t, fields, field, string(r.Raw))
}

// worklistItem returns user's worklist item for a referral, or nil.
func worklistItem(t *testing.T, user string, id int64) map[string]any {
	t.Helper()
	r := call(t, http.MethodGet, "/api/v1/worklist", login(t, user), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	items, _ := r.Body["items"].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		if rid, ok := m["referral_id"].(float64); ok && int64(rid) == id {
			return m
		}
	}
	return nil
}

func TestServiceReferral(t *testing.T) {
	c := newWFCase(t)
	var counselling, medical int64

	wfStage(t, "OfficerRefersCounsellingAtIntake", func(t *testing.T) {
		c.requireHidden(t, "social1")
		counselling = c.mustRefer(t, "officer1", "counselling", "CTXH-33")
		require.Equal(t, "received", c.state)
	})

	wfStage(t, "ProviderFindsItOnItsWorklist", func(t *testing.T) {
		it := worklistItem(t, "social1", counselling)
		require.NotNil(t, it, "the referral is on the social worker's worklist")
		require.Equal(t, c.code, it["code"])
		require.Equal(t, "referral", it["reason"])
		require.Equal(t, "received", it["state"])
		require.NotNil(t, it["due_at"], "a referral must be answered within its deadline")
	})

	wfStage(t, "ProviderSeesTheChildOnly", func(t *testing.T) {
		r := c.get(t, "social1")
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Equal(t, "service", r.Body["access"])
		kids, _ := r.Body["children"].([]any)
		require.Len(t, kids, 1)
		require.Equal(t, c.child(), kids[0].(map[string]any)["full_name"])
		require.NotContains(t, r.Body, "narrative")
		require.NotContains(t, r.Body, "suspects")
		require.NotContains(t, r.Body, "reporter")
		for _, v := range []string{c.body["narrative"].(string), c.suspect(), c.reporter(), "0900 000 111"} {
			require.NotContains(t, string(r.Raw), v)
		}
	})

	wfStage(t, "ProviderSeesOnlyItsReferralsClocksAndSteps", func(t *testing.T) {
		requireProviderView(t, c, "social1", counselling)
	})

	wfStage(t, "ProviderCannotFireWorkflowEvents", func(t *testing.T) {
		for _, ev := range []string{"refer_police", "assess_risk", "close_case"} {
			r := c.send(t, "social1", ev, c.version, wfValidData(mustEvent(t, ev)))
			require.Contains(t, []int{http.StatusForbidden, http.StatusUnprocessableEntity}, r.Status, "%s: %s", ev, r.Raw)
		}
		require.Equal(t, "received", c.requireSees(t, "officer1", "full")["state"])
		require.EqualValues(t, c.version, c.requireSees(t, "officer1", "full")["version"])
	})

	wfStage(t, "OtherAgenciesCannotAnswerIt", func(t *testing.T) {
		r := answerReferral(t, "officer1", counselling, "accept", "")
		require.Equal(t, http.StatusForbidden, r.Status, "the referring officer sees the case but is not the provider: %s", r.Raw)
		r = answerReferral(t, "health1", counselling, "accept", "")
		require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, r.Status, string(r.Raw))
		r = answerReferral(t, "police1", counselling, "decline", "Không phải việc của tôi")
		require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, r.Status, string(r.Raw))
	})

	wfStage(t, "DoneBeforeAcceptedIsRefused", func(t *testing.T) {
		r := answerReferral(t, "social1", counselling, "done", "")
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	})

	wfStage(t, "ProviderAcceptsAndFinishes", func(t *testing.T) {
		r := answerReferral(t, "social1", counselling, "accept", "Đã tiếp nhận")
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Equal(t, "accepted", r.Body["status"])
		c.record("social1", "accept_service_referral", c.state)

		again := answerReferral(t, "social1", counselling, "accept", "")
		require.Equal(t, http.StatusUnprocessableEntity, again.Status, "accepting twice: %s", again.Raw)
		decline := answerReferral(t, "social1", counselling, "decline", "Đổi ý")
		require.Equal(t, http.StatusUnprocessableEntity, decline.Status, "declining an accepted referral: %s", decline.Raw)

		r = answerReferral(t, "social1", counselling, "done", "Đã tư vấn 5 buổi")
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Equal(t, "done", r.Body["status"])
		require.Nil(t, worklistItem(t, "social1", counselling), "a finished referral leaves the worklist")
		// Its work is over: so is its access.
		c.requireHidden(t, "social1")
		for _, part := range []string{"", "/clocks", "/history", "/referrals"} {
			r := call(t, http.MethodGet, c.path(part), login(t, "social1"), nil)
			require.Equal(t, http.StatusNotFound, r.Status, "%s after the referral is done: %s", part, r.Raw)
		}
	})

	wfStage(t, "DecliningEndsTheProvidersAccess", func(t *testing.T) {
		c.requireHidden(t, "health1")
		medical = c.mustRefer(t, "officer1", "medical_care", "PY-33")
		c.requireSees(t, "health1", "service")
		require.NotNil(t, worklistItem(t, "health1", medical))
		requireProviderView(t, c, "health1", medical)

		requireInvalid(t, answerReferral(t, "health1", medical, "decline", ""), "note")
		requireInvalid(t, answerReferral(t, "health1", medical, "decline", "   "), "note")

		r := answerReferral(t, "health1", medical, "decline", "Không đủ chuyên khoa nhi")
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Equal(t, "declined", r.Body["status"])
		c.record("health1", "decline_service_referral", c.state)
		c.requireHidden(t, "health1")
		require.Nil(t, worklistItem(t, "health1", medical))
	})

	wfStage(t, "CaseListsItsReferrals", func(t *testing.T) {
		r := call(t, http.MethodGet, c.path("/referrals"), login(t, "officer1"), nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		rs, _ := r.Body["referrals"].([]any)
		require.Len(t, rs, 2)
		got := map[string]string{}
		for _, x := range rs {
			m := x.(map[string]any)
			got[m["service"].(string)] = m["status"].(string)
		}
		require.Equal(t, map[string]string{"counselling": "done", "medical_care": "declined"}, got)
	})

	wfStage(t, "EveryReferralStepIsInTheHistory", func(t *testing.T) {
		rows := c.requireHistoryOfReferrals(t)
		require.Equal(t, "counselling", rows[1].Data["service"])
		require.Equal(t, "social_services", rows[1].Data["agency"])
	})
}

// requireHistoryOfReferrals checks the history like requireHistory, except
// for the note: referral steps carry their own note, not the event note.
func (c *wfCase) requireHistoryOfReferrals(t *testing.T) []wfHistoryRow {
	t.Helper()
	rows := c.history(t, "officer1")
	require.Len(t, rows, 1+len(c.steps))
	for i, s := range c.steps {
		h := rows[i+1]
		require.Equal(t, i+2, h.Version, "row %d", i+1)
		require.Equal(t, s.event, h.Event, "row %d", i+1)
		require.Equal(t, s.from, h.From, "row %d", i+1)
		require.Equal(t, s.to, h.To, "row %d", i+1)
		require.NotNil(t, h.Actor)
		require.Equal(t, s.user, h.Actor.Username, "row %d (%s)", i+1, s.event)
	}
	return rows
}

func TestServiceReferralRefusesBadInput(t *testing.T) {
	c := newWFCase(t)
	before := countRows(t, "referrals")

	t.Run("UnknownService", func(t *testing.T) {
		requireInvalid(t, c.refer(t, "officer1", "astrology", "CTXH-33", ""), "service")
	})
	t.Run("MissingService", func(t *testing.T) {
		requireInvalid(t, c.refer(t, "officer1", "", "CTXH-33", ""), "service")
	})
	t.Run("AgencyThatDoesNotProvideTheService", func(t *testing.T) {
		requireInvalid(t, c.refer(t, "officer1", "legal_aid", "CTXH-33", ""), "agency_code")
		requireInvalid(t, c.refer(t, "officer1", "medical_care", "CSDT-33", ""), "agency_code")
	})
	t.Run("UnknownAgency", func(t *testing.T) {
		requireInvalid(t, c.refer(t, "officer1", "counselling", "XX-999", ""), "agency_code")
	})
	t.Run("MissingAgency", func(t *testing.T) {
		requireInvalid(t, c.refer(t, "officer1", "counselling", "", ""), "agency_code")
	})
	t.Run("AgencyOfAnotherCommune", func(t *testing.T) {
		requireInvalid(t, c.refer(t, "officer1", "emergency_protection", "CP-11953", ""), "agency_code")
	})
	t.Run("UserWhoCannotSeeTheCase", func(t *testing.T) {
		r := c.refer(t, "police1", "counselling", "CTXH-33", "")
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
		r = c.refer(t, "officer2", "counselling", "CTXH-33", "")
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
	})
	t.Run("SupervisorFollowsButDoesNotRefer", func(t *testing.T) {
		r := c.refer(t, "supervisor1", "counselling", "CTXH-33", "")
		require.Equal(t, http.StatusForbidden, r.Status, string(r.Raw))
	})
	t.Run("ServiceEventsAreNotFiredDirectly", func(t *testing.T) {
		for _, ev := range []string{"refer_service", "accept_service_referral", "decline_service_referral"} {
			r := c.send(t, "officer1", ev, c.version, wfValidData(mustEvent(t, ev)))
			requireInvalid(t, r, "event")
		}
	})
	t.Run("UnknownReferral", func(t *testing.T) {
		r := answerReferral(t, "social1", 999999999, "accept", "")
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
		r = answerReferral(t, "social1", 999999999, "done", "")
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
	})

	require.Equal(t, before, countRows(t, "referrals"), "a refused referral was stored")
	body := c.requireSees(t, "officer1", "full")
	require.EqualValues(t, 1, body["version"], "a refused referral changed the case")
	c.requireHistory(t)

	t.Run("UnknownAction", func(t *testing.T) {
		id := c.mustRefer(t, "officer1", "counselling", "CTXH-33")
		r := answerReferral(t, "social1", id, "postpone", "")
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
	})
}

func TestServiceReferralAtAnyStage(t *testing.T) {
	c := newWFCase(t)
	c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})

	t.Run("OfficerRefersWhileThePoliceResolve", func(t *testing.T) {
		id := c.mustRefer(t, "officer1", "counselling", "CTXH-33")
		require.Equal(t, "police", c.state)
		it := worklistItem(t, "social1", id)
		require.NotNil(t, it)
		require.Equal(t, "police", it["state"])
	})

	t.Run("PoliceReferToo", func(t *testing.T) {
		c.mustRefer(t, "police1", "medical_care", "PY-33")
		c.requireSees(t, "health1", "service")
	})

	t.Run("TheCaseMovesOnWithOpenReferrals", func(t *testing.T) {
		c.fire(t, "police1", "accept_referral", "police", nil)
		c.fire(t, "police1", "decline_prosecution", "support", map[string]any{"crime_signs": false, "reason": "Không đủ căn cứ"})
		c.requireSees(t, "social1", "service")
		c.mustRefer(t, "officer1", "legal_aid", "TGPL-33")
		c.requireHistoryOfReferrals(t)
	})

	t.Run("ReferredSocialWorkerDraftsTheSupportPlan", func(t *testing.T) {
		body := c.requireSees(t, "social1", "service")
		require.Contains(t, availableEventNames(body), "draft_support_plan")
		require.NotContains(t, availableEventNames(body), "approve_support_plan")
		c.fire(t, "social1", "draft_support_plan", "support", map[string]any{"plan": "Tư vấn tâm lý"})
		r := c.send(t, "social1", "approve_support_plan", c.version, map[string]any{"approved_by": "x"})
		require.Equal(t, http.StatusForbidden, r.Status, "approval belongs to the commune: %s", r.Raw)
	})

	t.Run("NotOnceClosed", func(t *testing.T) {
		c.fire(t, "officer1", "close_case", "closed", map[string]any{"outcome": "not_prosecuted"})
		before := countRows(t, "referrals")
		r := c.refer(t, "officer1", "counselling", "CTXH-33", "")
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
		require.Equal(t, before, countRows(t, "referrals"))
		c.requireHistoryOfReferrals(t)
	})
}

// mustEvent returns an event of the child-abuse workflow.
func mustEvent(t *testing.T, id string) *workflow.Event {
	t.Helper()
	def, ok := env.flows.Latest("child-abuse")
	require.True(t, ok)
	ev, ok := def.Event(id)
	require.True(t, ok, "no event %s", id)
	return ev
}

// requireProviderView requires a provider that knows of the case through one
// referral to see that referral only, with its clocks and steps, and none
// of the procedure's deadlines or other steps.
func requireProviderView(t *testing.T, c *wfCase, user string, id int64) {
	t.Helper()
	tok, ref := login(t, user), strconv.FormatInt(id, 10)
	r := call(t, http.MethodGet, c.path("/referrals"), tok, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	rs, _ := r.Body["referrals"].([]any)
	require.Len(t, rs, 1, "another agency's referral is shown: %s", r.Raw)
	require.EqualValues(t, id, rs[0].(map[string]any)["id"])

	r = call(t, http.MethodGet, c.path("/clocks"), tok, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	ks, _ := r.Body["clocks"].([]any)
	require.NotEmpty(t, ks, "the referral's own deadline is shown")
	for _, k := range ks {
		require.Equal(t, ref, k.(map[string]any)["instance"], "a deadline of the procedure is shown: %v", k)
	}
	all := call(t, http.MethodGet, c.path("/clocks"), login(t, c.owner), nil).Body["clocks"].([]any)
	require.Greater(t, len(all), len(ks), "the officer sees the procedure's deadlines")

	r = call(t, http.MethodGet, c.path("/history"), tok, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	hs, _ := r.Body["history"].([]any)
	require.NotEmpty(t, hs, "the referral's steps are shown")
	for _, h := range hs {
		ev := mustEvent(t, h.(map[string]any)["event"].(string))
		require.True(t, ev.IsReferralStep(), "a step of the procedure is shown: %v", h)
	}
}
