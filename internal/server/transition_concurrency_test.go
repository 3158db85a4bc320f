package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// wfAnswer is an answer received off the test goroutine.
type wfAnswer struct {
	status int
	body   map[string]any
	raw    []byte
	err    error
}

// fireAtOnce posts the same event n times at once, all on the same version,
// and returns the answers.
func fireAtOnce(t *testing.T, n int, c *wfCase, user, event string, data map[string]any) []wfAnswer {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"event": event, "version": c.version, "note": wfNote, "data": data})
	require.NoError(t, err)
	tok := login(t, user)
	url := env.srv.URL + c.path("/events")
	out := make([]wfAnswer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = postEvent(url, tok, raw)
		}()
	}
	close(start)
	wg.Wait()
	for _, a := range out {
		require.NoError(t, a.err)
	}
	return out
}

func postEvent(url, tok string, raw []byte) wfAnswer {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return wfAnswer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return wfAnswer{err: err}
	}
	defer res.Body.Close()
	a := wfAnswer{status: res.StatusCode}
	if a.raw, a.err = io.ReadAll(res.Body); a.err == nil {
		a.err = json.Unmarshal(a.raw, &a.body)
	}
	return a
}

// requireOneWinner requires exactly one 200 and a conflict for every other
// answer, and returns the winner's body.
func requireOneWinner(t *testing.T, answers []wfAnswer) map[string]any {
	t.Helper()
	var won map[string]any
	wins, conflicts := 0, 0
	for _, a := range answers {
		switch a.status {
		case http.StatusOK:
			wins++
			won = a.body
		case http.StatusConflict:
			conflicts++
			e, _ := a.body["error"].(map[string]any)
			require.Equal(t, "conflict", e["code"], string(a.raw))
		default:
			t.Fatalf("want 200 or 409, got %d: %s", a.status, a.raw)
		}
	}
	require.Equal(t, 1, wins, "exactly one of %d concurrent events on one version may win", len(answers))
	require.Equal(t, len(answers)-1, conflicts)
	return won
}

// caseClocks counts a case's clock rows of one clock.
func caseClocks(t *testing.T, code, clock string) string {
	t.Helper()
	rows, err := env.db.QueryStrings(context.Background(), `SELECT count(*)::text FROM case_clocks k
		JOIN cases c ON c.id = k.case_id WHERE c.code = ? AND k.clock = ?`, code, clock)
	require.NoError(t, err)
	return rows[0]
}

// caseGrants counts the live access rows of an agency on a case.
func caseGrants(t *testing.T, code, agency string) string {
	t.Helper()
	rows, err := env.db.QueryStrings(context.Background(), `SELECT count(*)::text FROM case_access ca
		JOIN cases c ON c.id = ca.case_id JOIN agencies a ON a.id = ca.agency_id
		WHERE c.code = ? AND a.code = ? AND ca.revoked_at IS NULL`, code, agency)
	require.NoError(t, err)
	return rows[0]
}

func TestConcurrentEventsOnOneVersion(t *testing.T) {
	const n = 100
	c := newWFCase(t)

	wfStage(t, "SelfTransitionHasExactlyOneWinner", func(t *testing.T) {
		answers := fireAtOnce(t, n, c, "officer1", "assess_risk", map[string]any{"risk_level": "high", "crime_signs": true})
		won := requireOneWinner(t, answers)
		require.Equal(t, "received", won["state"])
		require.EqualValues(t, c.version+1, won["version"])
		c.record("officer1", "assess_risk", "received")

		body := c.requireSees(t, "officer1", "full")
		require.EqualValues(t, 2, body["version"])
		c.requireHistory(t)
	})

	wfStage(t, "StaleVersionIsAConflict", func(t *testing.T) {
		r := c.send(t, "officer1", "assess_risk", c.version-1, map[string]any{"risk_level": "low"})
		require.Equal(t, http.StatusConflict, r.Status, string(r.Raw))
		code, fields := errorOf(t, r)
		require.Equal(t, "conflict", code)
		require.Contains(t, fields, "version")
		c.requireHistory(t)
	})

	wfStage(t, "ReferralHasExactlyOneWinner", func(t *testing.T) {
		answers := fireAtOnce(t, n, c, "officer1", "refer_police", map[string]any{"remote_commune": false})
		won := requireOneWinner(t, answers)
		require.Equal(t, "police", won["state"])
		c.record("officer1", "refer_police", "police")

		require.EqualValues(t, c.version, c.requireSees(t, "officer1", "full")["version"])
		c.requireHistory(t)
		require.Equal(t, "1", caseGrants(t, c.code, "CSDT-33"), "the police are granted access once")
		require.Equal(t, "1", caseClocks(t, c.code, "transfer_to_police"), "the transfer clock starts once")
		require.Equal(t, "0", caseClocks(t, c.code, "transfer_to_police_remote"))
	})

	wfStage(t, "DifferentEventsRaceToo", func(t *testing.T) {
		var wg sync.WaitGroup
		answers := make([]wfAnswer, 2)
		tok := login(t, "police1")
		url := env.srv.URL + c.path("/events")
		for i, ev := range []map[string]any{
			{"event": "decide_prosecution", "version": c.version, "data": map[string]any{"crime_category": "serious", "penal_code_article": "146"}},
			{"event": "return_referral", "version": c.version, "data": map[string]any{"reason": "x"}},
		} {
			raw, err := json.Marshal(ev)
			require.NoError(t, err)
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = postEvent(url, tok, raw)
			}()
		}
		wg.Wait()
		conflicts, won := 0, 0
		for _, a := range answers {
			switch {
			case a.status == http.StatusConflict:
				conflicts++
			// A return that wins ends the police's access: the other event,
			// read after it, finds no case the police may know of.
			case a.status == http.StatusNotFound && answers[1].status == http.StatusOK:
				conflicts++
			case a.status == http.StatusOK:
				won++
			}
		}
		require.Equal(t, 1, won, "of two events on one version exactly one wins: %s / %s", answers[0].raw, answers[1].raw)
		require.Equal(t, 1, conflicts, "of two events on one version exactly one loses: %s / %s", answers[0].raw, answers[1].raw)
		r := c.get(t, "officer1")
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.EqualValues(t, c.version+1, r.Body["version"])
		require.Contains(t, []any{"investigation", "received"}, r.Body["state"], "one of the two moved the case")
		rows := c.history(t, "officer1")
		require.Len(t, rows, 1+len(c.steps)+1)
	})
}
