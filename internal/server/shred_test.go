package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/seal"
	"caseflow/internal/server"
	"caseflow/internal/testenv"
)

// Crypto-shredding: erasing a case's data key makes every personal value of
// the case unreadable in every table, append-only ones included, while its
// code, states, dates and figures remain.

// everyValue returns every column of every row of every table of the
// database, as text, keyed by table.
func everyValue(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	tables, err := env.db.QueryStrings(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	require.NoError(t, err)
	require.Greater(t, len(tables), 20)
	out := map[string]string{}
	for _, table := range tables {
		rows, err := env.db.QueryStrings(ctx, fmt.Sprintf(`SELECT row_to_json(x)::text FROM %q x`, table))
		require.NoError(t, err)
		out[table] = strings.Join(rows, "\n")
	}
	return out
}

// caseRowsSealed returns every sealed value stored in the rows of a case.
func caseRowsSealed(t *testing.T, code string) []string {
	t.Helper()
	rows, err := env.db.QueryStrings(context.Background(), `
		WITH c AS (SELECT id FROM cases WHERE code = ?)
		SELECT row_to_json(x)::text FROM cases x, c WHERE x.id = c.id
		UNION ALL SELECT row_to_json(x)::text FROM case_people x, c WHERE x.case_id = c.id
		UNION ALL SELECT row_to_json(x)::text FROM case_history x, c WHERE x.case_id = c.id
		UNION ALL SELECT row_to_json(x)::text FROM referrals x, c WHERE x.case_id = c.id
		UNION ALL SELECT row_to_json(x)::text FROM case_clocks x, c WHERE x.case_id = c.id`, code)
	require.NoError(t, err)
	var out []string
	for _, r := range rows {
		for _, part := range strings.FieldsFunc(r, func(c rune) bool { return c == '"' || c == '\\' }) {
			if strings.HasPrefix(part, "v1.") || strings.HasPrefix(part, "c1.") {
				out = append(out, part)
			}
		}
	}
	return out
}

func TestShreddingACaseErasesItsPersonalDataEverywhere(t *testing.T) {
	officer, police, prosecutor := login(t, "officer1"), login(t, "police1"), login(t, "prosecutor1")
	body := report()
	stamp := fmt.Sprint(time.Now().UnixNano() % 1000000)
	notes := []string{"Ghi chú hư cấu cần xóa " + stamp, "Biện pháp hư cấu cần xóa " + stamp, "Tư vấn hư cấu cần xóa " + stamp,
		"Gia hạn hư cấu cần xóa " + stamp}
	remember(notes...)
	code := mustFile(t, officer, body)
	c := &wfCase{owner: "officer1", code: code, version: 1, state: "received", body: body}
	fire := func(tok, event string, data map[string]any, note string) {
		t.Helper()
		v := call(t, http.MethodGet, c.path(""), officer, nil).Body["version"]
		r := call(t, http.MethodPost, c.path("/events"), tok, map[string]any{"event": event, "version": v, "data": data, "note": note})
		require.Equal(t, http.StatusOK, r.Status, "%s: %s", event, r.Raw)
	}
	fire(officer, "record_emergency_measures", map[string]any{"measures": notes[1]}, notes[0])
	r := c.refer(t, "officer1", "counselling", "CTXH-33", notes[2])
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	fire(officer, "refer_police", map[string]any{"remote_commune": false}, "")
	fire(police, "accept_referral", map[string]any{"intake_number": "TL-09/2026"}, "")
	fire(police, "decide_prosecution", map[string]any{"crime_category": "very_serious", "penal_code_article": "142"}, "")
	fire(police, "hand_to_procuracy", map[string]any{}, "")
	r = call(t, http.MethodPost, c.path("/clocks/indictment/extensions"), prosecutor,
		map[string]any{"duration": "10 days", "reason": notes[3], "legal_basis": "BLTTHS 2015 Điều 240"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))

	personal := append(personalValues(body), notes...)
	// Before: sealed, never in the clear, and readable through the API.
	for table, all := range everyValue(t) {
		for _, v := range personal {
			require.NotContains(t, all, v, "%q stored in the clear in %s", v, table)
		}
	}
	got := call(t, http.MethodGet, c.path(""), officer, nil)
	require.Contains(t, string(got.Raw), c.child())
	clocksBefore := call(t, http.MethodGet, c.path("/clocks"), prosecutor, nil)
	require.Contains(t, string(clocksBefore.Raw), notes[3], "the extension's reason opens")
	q := "/api/v1/compliance?unit=" + communeOfficer1
	figuresBefore := call(t, http.MethodGet, q, officer, nil)
	require.Equal(t, http.StatusOK, figuresBefore.Status, string(figuresBefore.Raw))
	historyBefore := call(t, http.MethodGet, c.path("/history"), officer, nil)
	require.Equal(t, http.StatusOK, historyBefore.Status)

	require.NoError(t, env.db.DB.ShredCase(context.Background(), caseflow.Viewer{Username: "test", RequestID: "shred"}, code, "retention ended (test)"))
	err := env.db.DB.ShredCase(context.Background(), caseflow.Viewer{Username: "test"}, code, "again")
	require.Equal(t, caseflow.EConflict, caseflow.ErrorCode(err), "shredded twice: %v", err)

	// After: the data key is gone and nothing of the case opens, in any
	// table, with the key ring or otherwise.
	keys, err := env.db.QueryStrings(context.Background(), `SELECT k.wrapped || '|' || (k.shredded_at IS NOT NULL)::text FROM case_keys k
		JOIN cases c ON c.id = k.case_id WHERE c.code = ?`, code)
	require.NoError(t, err)
	require.Equal(t, []string{"|true"}, keys)
	sealedValues := caseRowsSealed(t, code)
	require.NotEmpty(t, sealedValues)
	for _, s := range sealedValues {
		require.True(t, seal.IsCaseSealed(s), "a value of the shredded case is sealed with the key ring, which still opens it: %s", s)
	}
	for table, all := range everyValue(t) {
		for _, v := range personal {
			require.NotContains(t, all, v, "%q in %s after shredding", v, table)
		}
	}
	names, err := env.db.QueryStrings(context.Background(), `SELECT count(*)::text FROM case_name_index n JOIN cases c ON c.id = n.case_id WHERE c.code = ?`, code)
	require.NoError(t, err)
	require.Equal(t, []string{"0"}, names, "the name index still finds the case")
	blind, err := env.db.QueryStrings(context.Background(), `SELECT count(*)::text FROM case_people p JOIN cases c ON c.id = p.case_id
		WHERE c.code = ? AND p.blind_index IS NOT NULL`, code)
	require.NoError(t, err)
	require.Equal(t, []string{"0"}, blind, "a blind index of the shredded case remains")

	// The code, states, dates and figures remain; the case says it was erased.
	after := call(t, http.MethodGet, c.path(""), officer, nil)
	require.Equal(t, http.StatusOK, after.Status, string(after.Raw))
	require.Equal(t, got.Body["state"], after.Body["state"])
	require.Equal(t, got.Body["received_at"], after.Body["received_at"])
	require.NotNil(t, after.Body["erased_at"], string(after.Raw))
	for _, v := range personal {
		require.NotContains(t, string(after.Raw), v)
	}
	historyAfter := call(t, http.MethodGet, c.path("/history"), officer, nil)
	require.Equal(t, http.StatusOK, historyAfter.Status, string(historyAfter.Raw))
	require.Equal(t, len(historyBefore.Body["history"].([]any)), len(historyAfter.Body["history"].([]any)), "history rows were lost")
	for _, v := range personal {
		require.NotContains(t, string(historyAfter.Raw), v)
	}
	clocksAfter := call(t, http.MethodGet, c.path("/clocks"), prosecutor, nil)
	require.Equal(t, http.StatusOK, clocksAfter.Status)
	require.NotContains(t, string(clocksAfter.Raw), notes[3])
	require.Equal(t, len(clocksBefore.Body["clocks"].([]any)), len(clocksAfter.Body["clocks"].([]any)))
	figuresAfter := call(t, http.MethodGet, q, officer, nil)
	require.Equal(t, figuresBefore.Body["indicators"], figuresAfter.Body["indicators"], "the figures changed")
	require.Positive(t, countAudit(t, "case.shred"))
	page := webAs(t, "officer1").get("/cases/" + code)
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, page.Body, "Dữ liệu cá nhân của hồ sơ đã được xóa vĩnh viễn")
	for _, v := range personal {
		require.NotContains(t, page.Body, v)
	}

	// Nothing more can be written about its people.
	v := after.Body["version"]
	w := call(t, http.MethodPost, c.path("/events"), prosecutor, map[string]any{"event": "indict", "version": v,
		"data": map[string]any{"charge_article": "142", "indicted_on": time.Now().Format("2006-01-02")}, "note": "không được lưu"})
	require.NotEqual(t, http.StatusInternalServerError, w.Status, string(w.Raw))
}

// A case filed before data keys (its values sealed with the key ring) gets
// its key from the worker's adoption, and a shred adopts it first: no value
// sealed with the ring survives the shred.
func TestACaseFiledBeforeDataKeysIsAdoptedThenShredded(t *testing.T) {
	ctx := context.Background()
	body := report()
	code := mustFile(t, login(t, "officer1"), body)
	// Make it look as it was before data keys: every value sealed with the
	// ring, and no data key.
	kid := firstChild(body)
	beforeKeys(t, code, body)
	r := call(t, http.MethodGet, "/api/v1/cases/"+code, login(t, "officer1"), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Contains(t, string(r.Raw), kid["full_name"].(string), "a case before data keys opens with the ring")

	n := 0
	for after := int64(0); ; {
		k, next, err := env.db.DB.AdoptCaseKeys(ctx, after, 100)
		require.NoError(t, err)
		n += k
		if next == 0 {
			break
		}
		after = next
	}
	require.Positive(t, n)
	for _, s := range caseRowsSealed(t, code) {
		require.True(t, seal.IsCaseSealed(s), "a value still sealed with the ring after adoption: %s", s)
	}
	r = call(t, http.MethodGet, "/api/v1/cases/"+code, login(t, "officer1"), nil)
	require.Contains(t, string(r.Raw), kid["full_name"].(string), "the adopted case does not open")

	// Again without a key, then shredded: the shred adopts it first.
	beforeKeys(t, code, body)
	require.NoError(t, env.db.DB.ShredCase(ctx, caseflow.Viewer{Username: "test"}, code, "test"))
	for _, s := range caseRowsSealed(t, code) {
		require.True(t, seal.IsCaseSealed(s), "a value sealed with the ring survived the shred: %s", s)
	}
}

// beforeKeys makes a case filed from body look as cases filed before data
// keys were: its people and narrative sealed with the key ring, and no key.
func beforeKeys(t *testing.T, code string, body map[string]any) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, env.db.Exec(ctx, `DELETE FROM case_keys WHERE case_id = (SELECT id FROM cases WHERE code = ?)`, code))
	ring := func(context, v string) string {
		s, err := env.db.DB.Keys.Encrypt(context, v)
		require.NoError(t, err)
		return s
	}
	kid, suspect, rep := firstChild(body), body["suspects"].([]map[string]any)[0], reporterOf(body)
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	for kind, p := range map[string]map[string]any{"child": kid, "suspect": suspect, "reporter": rep} {
		require.NoError(t, env.db.Exec(ctx, `UPDATE case_people SET full_name_enc = ?, date_of_birth_enc = ?, address_enc = ?, phone_enc = ?
			WHERE kind = ? AND position = 0 AND case_id = (SELECT id FROM cases WHERE code = ?)`,
			ring("person.full_name", str(p, "full_name")), ring("person.date_of_birth", str(p, "date_of_birth")),
			ring("person.address", str(p, "address")), ring("person.phone", str(p, "phone")), kind, code))
	}
	require.NoError(t, env.db.Exec(ctx, `UPDATE cases SET narrative_enc = ? WHERE code = ?`, ring("case.narrative", body["narrative"].(string)), code))
}

// Rotating the master key wraps every data key again under the new key
// while intakes go on; what was filed before opens, and once the old key
// wraps nothing it can leave the ring.
func TestRotatingTheMasterKeyWhileIntakesRun(t *testing.T) {
	ctx := context.Background()
	oldID := env.db.DB.Keys.ActiveKeyID()
	before := call(t, http.MethodGet, "/api/v1/cases/"+mustFile(t, login(t, "officer1"), report()), login(t, "officer1"), nil)
	require.Equal(t, http.StatusOK, before.Status)
	oldCode := before.Body["code"].(string)
	oldChild := before.Body["children"].([]any)[0].(map[string]any)["full_name"].(string)

	rotated, err := env.db.DB.Keys.WithKey("rot2", seal.NewDataKey())
	require.NoError(t, err)
	other, err := testenv.OpenDB(ctx, env.db.URL, rotated)
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	// Every other test reads with the old ring alone: wrap everything back
	// under the old key when done.
	t.Cleanup(func() {
		restore, err := testenv.OpenDB(ctx, env.db.URL, env.db.DB.Keys.Merge(rotated))
		require.NoError(t, err)
		defer restore.Close()
		for after := int64(0); ; {
			_, next, err := restore.RewrapKeys(ctx, after, 500)
			require.NoError(t, err)
			if next == 0 {
				break
			}
			after = next
		}
	})
	srv := serverWith(t, func(c *server.Config) {
		c.Cases = casework.New(casework.Config{Store: other, Workflows: env.flows, WorkflowID: "child-abuse", WorkflowVersion: 1})
	})

	for range 20 {
		mustFile(t, login(t, "officer1"), report())
	}
	// Intakes through a service already on the new ring, while the
	// rotation runs.
	stop := make(chan struct{})
	filed := make(chan string, 1000)
	started := make(chan struct{})
	go func() {
		defer close(filed)
		tok := login(t, "officer1")
		for {
			select {
			case <-stop:
				return
			default:
			}
			r := callAt(t, srv.URL, http.MethodPost, "/api/v1/reports", tok, report())
			if r.Status != http.StatusCreated {
				t.Errorf("an intake during the rotation: %d %s", r.Status, r.Raw)
				return
			}
			filed <- r.Body["code"].(string)
			if len(filed) == 2 {
				close(started)
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("no intake ran before the rotation")
	}
	rewrapped := 0
	for after := int64(0); ; {
		n, next, err := other.RewrapKeys(ctx, after, 5)
		require.NoError(t, err)
		rewrapped += n
		if next == 0 {
			break
		}
		after = next
	}
	close(stop)
	var during []string
	for c := range filed {
		during = append(during, c)
	}
	require.Positive(t, rewrapped)
	require.NotEmpty(t, during, "no intake ran during the rotation")
	by, _, _, err := other.KeyCounts(ctx)
	require.NoError(t, err)
	require.Zero(t, by[oldID], "data keys still wrapped by the old key: %v", by)

	// Without the old key, everything opens.
	newOnly, err := rotated.Without(oldID)
	require.NoError(t, err)
	fresh, err := testenv.OpenDB(ctx, env.db.URL, newOnly)
	require.NoError(t, err)
	defer fresh.Close()
	bad := 0
	for after := int64(0); ; {
		_, b, next, err := fresh.VerifyKeys(ctx, after, 1000)
		require.NoError(t, err)
		bad += len(b)
		if next == 0 {
			break
		}
		after = next
	}
	require.Zero(t, bad, "data keys that do not open without the old master key")
	newSrv := serverWith(t, func(c *server.Config) {
		c.Cases = casework.New(casework.Config{Store: fresh, Workflows: env.flows, WorkflowID: "child-abuse", WorkflowVersion: 1})
	})
	r := callAt(t, newSrv.URL, http.MethodGet, "/api/v1/cases/"+oldCode, login(t, "officer1"), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Contains(t, string(r.Raw), oldChild, "a case filed before the rotation does not open")
	r = callAt(t, newSrv.URL, http.MethodGet, "/api/v1/cases/"+during[len(during)-1], login(t, "officer1"), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	t.Logf("rotation: %d data keys wrapped again while %d reports were filed", rewrapped, len(during))
}

// Retention: a closed case whose period under the policy has passed has its
// personal data erased by the job, which records the code, outcome and
// dates only; one still within its period, or kept by the policy, is not.
func TestRetentionErasesClosedCasesWhosePeriodEnded(t *testing.T) {
	ctx := context.Background()
	closeAs := func(outcome string, yearsAgo int) string {
		c := newWFCase(t)
		c.fire(t, "officer1", "close_case", "closed", map[string]any{"outcome": outcome})
		require.NoError(t, env.db.Exec(ctx, `UPDATE cases SET closed_at = now() - make_interval(years => ?, days => 1) WHERE code = ?`, yearsAgo, c.code))
		return c.code
	}
	expired := closeAs("duplicate", 3)
	recent := closeAs("duplicate", 1)
	kept := closeAs("convicted", 30)
	policy, err := caseflow.ParseRetention("duplicate=2,convicted=keep")
	require.NoError(t, err)
	cw := casework.New(casework.Config{Store: env.db.DB, Retention: policy})

	due, err := cw.DueForErasure(ctx, 0, 100000)
	require.NoError(t, err)
	var codes []string
	for _, c := range due {
		codes = append(codes, c.Code)
	}
	require.Contains(t, codes, expired)
	require.NotContains(t, codes, recent, "still within its period")
	require.NotContains(t, codes, kept, "kept by the policy")
	soon, err := cw.DueForErasure(ctx, 400*24*time.Hour, 100000)
	require.NoError(t, err)
	codes = codes[:0]
	for _, c := range soon {
		codes = append(codes, c.Code)
	}
	require.Contains(t, codes, recent, "due within the window")

	done, failed, err := cw.ApplyRetention(ctx, 100000)
	require.NoError(t, err)
	require.Empty(t, failed)
	var erased []string
	for _, c := range done {
		erased = append(erased, c.Code)
	}
	require.Contains(t, erased, expired)
	require.NotContains(t, erased, recent)
	r := call(t, http.MethodGet, "/api/v1/cases/"+expired, login(t, "officer1"), nil)
	require.NotNil(t, r.Body["erased_at"], string(r.Raw))
	for _, kid := range r.Body["children"].([]any) {
		require.Empty(t, kid.(map[string]any)["full_name"], "the erased case still names its child")
	}
	r = call(t, http.MethodGet, "/api/v1/cases/"+recent, login(t, "officer1"), nil)
	require.Nil(t, r.Body["erased_at"])
	detail, err := env.db.QueryStrings(ctx, `SELECT detail->>'reason' FROM audit_log WHERE action = 'case.shred' AND case_code = ?`, expired)
	require.NoError(t, err)
	require.Len(t, detail, 1)
	require.Regexp(t, `^retention: duplicate, closed \d{4}-\d{2}-\d{2}, due \d{4}-\d{2}-\d{2}$`, detail[0])

	again, _, err := cw.ApplyRetention(ctx, 100000)
	require.NoError(t, err)
	for _, c := range again {
		require.NotEqual(t, expired, c.Code, "erased twice")
	}
	page := webAs(t, "supervisor1").get("/dashboard")
	require.Contains(t, page.Body, `id="retention"`)
}

// The legal basis of processing and the consents: the legal obligation
// until something is recorded; consent needs the representative's answer
// and a child of 7 or more's own; a representative who is the suspect
// cannot be the one who consented unnamed; the change is audited and the
// note is sealed with the case's key.
func TestTheLegalBasisAndConsentsOfACase(t *testing.T) {
	c := newWFCase(t) // a child born in 2015: older than 7
	officer := login(t, "officer1")
	r := call(t, http.MethodGet, c.path("/processing"), officer, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Equal(t, "legal_obligation", r.Body["legal_basis"])
	require.Equal(t, false, r.Body["recorded"])

	put := func(tok string, body map[string]any) response {
		return call(t, http.MethodPut, c.path("/processing"), tok, body)
	}
	before := countAudit(t, "case.processing")
	requireInvalid(t, put(officer, map[string]any{"legal_basis": "consent"}), "guardian_consent")
	requireInvalid(t, put(officer, map[string]any{"legal_basis": "consent", "guardian_consent": "given"}), "child_consent")
	requireInvalid(t, put(officer, map[string]any{"legal_basis": "consent", "guardian_consent": "given", "child_consent": "given",
		"representative_is_suspect": true}), "consent_note")
	requireInvalid(t, put(officer, map[string]any{"legal_basis": "whim"}), "legal_basis")
	require.Equal(t, before, countAudit(t, "case.processing"), "a refused record was audited")
	require.Equal(t, http.StatusForbidden, put(login(t, "supervisor1"), map[string]any{"legal_basis": "legal_obligation"}).Status)

	note := "Chủ tịch UBND xã đồng ý thay người đại diện (hư cấu)"
	remember(note)
	r = put(officer, map[string]any{"legal_basis": "consent", "guardian_consent": "given", "child_consent": "given",
		"representative_is_suspect": true, "consent_note": note})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Equal(t, true, r.Body["recorded"])
	require.Equal(t, note, r.Body["consent_note"])
	require.Equal(t, "officer1", r.Body["updated_by"])
	require.Equal(t, before+1, countAudit(t, "case.processing"))
	stored, err := env.db.QueryStrings(context.Background(), `SELECT consent_note_enc FROM case_processing p JOIN cases c ON c.id = p.case_id WHERE c.code = ?`, c.code)
	require.NoError(t, err)
	require.True(t, seal.IsCaseSealed(stored[0]), "the note is not sealed with the case's key: %s", stored[0])
	web := webAs(t, "officer1")
	page := web.get("/cases/" + c.code)
	require.Contains(t, page.Body, "Người đại diện là người bị nghi")
	require.Contains(t, page.Body, `action="/cases/`+c.code+`/processing"`)
	bad := web.post("/cases/"+c.code+"/processing", url.Values{"legal_basis": {"consent"}, "guardian_consent": {"given"},
		"representative_is_suspect": {"yes"}})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	require.Contains(t, bad.Body, `id="proc-consent_note-err"`, "the error is not next to the note")
	ok := web.post("/cases/"+c.code+"/processing", url.Values{"legal_basis": {"consent"}, "guardian_consent": {"given"},
		"child_consent": {"given"}, "representative_is_suspect": {"yes"}, "consent_note": {note}})
	require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
	require.Contains(t, web.get(ok.Location).Body, "Đã lưu cơ sở pháp lý xử lý dữ liệu.")

	// Shredding erases the note too.
	require.NoError(t, env.db.DB.ShredCase(context.Background(), caseflow.Viewer{Username: "test"}, c.code, "test"))
	r = call(t, http.MethodGet, c.path("/processing"), officer, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Empty(t, r.Body["consent_note"])
	require.Equal(t, "consent", r.Body["legal_basis"], "the basis remains")
}

// Requests about the child's data: deadlines in working days from the
// request; a refusal says why; an approved access request is answered with
// the child's data and nothing of the reporter or the suspects; audited.
func TestRequestsAboutTheChildsData(t *testing.T) {
	c := newWFCase(t)
	officer := login(t, "officer1")
	add := func(body map[string]any) response {
		return call(t, http.MethodPost, c.path("/subject-requests"), officer, body)
	}
	requireInvalid(t, add(map[string]any{"kind": "gossip", "requested_at": time.Now().Format(time.RFC3339), "requester": "x"}), "kind")
	requireInvalid(t, add(map[string]any{"kind": "access", "requested_at": time.Now().Format(time.RFC3339), "requester": " "}), "requester")
	require.Equal(t, http.StatusForbidden, call(t, http.MethodPost, c.path("/subject-requests"), login(t, "supervisor1"),
		map[string]any{"kind": "access", "requested_at": time.Now().Format(time.RFC3339), "requester": "x"}).Status)

	// Monday 30 November 2026, 09:00: two working days end on Wednesday
	// 2 December, ten on Monday 14 December, on the legal calendar.
	requester := "Mẹ của trẻ (hư cấu)"
	remember(requester)
	r := add(map[string]any{"kind": "access", "requested_at": "2026-11-30T09:00:00+07:00", "requester": requester, "details": "Xin bản sao hồ sơ"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	require.Equal(t, requester, r.Body["requester"])
	ack, _ := time.Parse(time.RFC3339, r.Body["acknowledge_due_at"].(string))
	resp, _ := time.Parse(time.RFC3339, r.Body["respond_due_at"].(string))
	// A deadline ends with its last day (at midnight after it).
	require.Equal(t, "2026-12-02", ack.In(caseflow.Zone).Add(-time.Second).Format("2006-01-02"), "two working days")
	require.Equal(t, "2026-12-14", resp.In(caseflow.Zone).Add(-time.Second).Format("2006-01-02"), "ten working days")
	id := int64(r.Body["id"].(float64))
	path := func(s string) string { return c.path(fmt.Sprintf("/subject-requests/%d%s", id, s)) }

	require.Equal(t, http.StatusUnprocessableEntity, call(t, http.MethodGet, path("/export"), officer, nil).Status, "exported before approval")
	requireInvalid(t, call(t, http.MethodPost, path("/refuse"), officer, nil), "reason")
	r = call(t, http.MethodPost, path("/approve"), officer, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Equal(t, "approved", r.Body["decision"])
	require.Equal(t, http.StatusConflict, call(t, http.MethodPost, path("/refuse"), officer, map[string]any{"reason": "x"}).Status)

	x := call(t, http.MethodGet, path("/export"), officer, nil)
	require.Equal(t, http.StatusOK, x.Status, string(x.Raw))
	require.Contains(t, x.Header.Get("Content-Disposition"), "attachment")
	require.Contains(t, string(x.Raw), c.child())
	for _, v := range []string{c.suspect(), c.reporter(), c.body["narrative"].(string)} {
		require.NotContains(t, string(x.Raw), v, "the export hands out a third party's data")
	}
	require.Positive(t, countAudit(t, "subject_request.export"))

	// A refused erasure says why; the stored reason is sealed.
	r = add(map[string]any{"kind": "erasure", "requested_at": time.Now().Format(time.RFC3339), "requester": requester})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	id = int64(r.Body["id"].(float64))
	r = call(t, http.MethodPost, path("/refuse"), officer, map[string]any{"reason": "Hồ sơ đang được điều tra (Luật 91/2025 Điều 19)"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Equal(t, "refused", r.Body["decision"])
	list := call(t, http.MethodGet, c.path("/subject-requests"), officer, nil)
	require.Len(t, list.Body["requests"].([]any), 2)
	stored, err := env.db.QueryStrings(context.Background(), `SELECT requester_enc || refusal_reason_enc FROM subject_requests WHERE id = ?`, id)
	require.NoError(t, err)
	require.NotContains(t, stored[0], "Mẹ của trẻ")
	require.Equal(t, http.StatusNotFound, call(t, http.MethodGet, c.path("/subject-requests"), login(t, "officer2"), nil).Status)

	// A correction: only under an approved correction request; the history
	// keeps what it was, sealed; the name search finds the new name.
	correct := func(id int64, body map[string]any) response {
		return call(t, http.MethodPost, c.path(fmt.Sprintf("/subject-requests/%d/correction", id)), officer, body)
	}
	require.Equal(t, http.StatusUnprocessableEntity, correct(id, map[string]any{"child": 0, "field": "full_name", "value": "Tên Mới"}).Status,
		"a refused erasure request corrected the record")
	r = add(map[string]any{"kind": "correction", "requested_at": time.Now().Format(time.RFC3339), "requester": requester, "details": "Sai tên"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	fix := int64(r.Body["id"].(float64))
	require.Equal(t, http.StatusUnprocessableEntity, correct(fix, map[string]any{"child": 0, "field": "full_name", "value": "Tên Mới"}).Status,
		"corrected before approval")
	require.Equal(t, http.StatusOK, call(t, http.MethodPost, c.path(fmt.Sprintf("/subject-requests/%d/approve", fix)), officer, nil).Status)
	requireInvalid(t, correct(fix, map[string]any{"child": 0, "field": "sex", "value": "male"}), "field")
	requireInvalid(t, correct(fix, map[string]any{"child": 0, "field": "full_name", "value": "\u200b"}), "value")
	newName := "Bé Đã Sửa Tên Hư Cấu " + fmt.Sprint(time.Now().UnixNano()%100000)
	remember(newName)
	r = correct(fix, map[string]any{"child": 0, "field": "full_name", "value": newName})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Equal(t, newName, r.Body["children"].([]any)[0].(map[string]any)["full_name"])
	hist := call(t, http.MethodGet, c.path("/history"), officer, nil)
	require.Contains(t, string(hist.Raw), c.child()+" → "+newName, "the history does not keep the value before")
	notes, err := env.db.QueryStrings(context.Background(), `SELECT h.note_enc FROM case_history h JOIN cases c ON c.id = h.case_id
		WHERE c.code = ? AND h.event = 'personal_data_corrected'`, c.code)
	require.NoError(t, err)
	require.Len(t, notes, 1)
	require.True(t, seal.IsCaseSealed(notes[0]))
	found := webAs(t, "officer1").post("/cases/search", url.Values{"child_name": {newName}})
	require.Contains(t, found.Body, `href="/cases/`+c.code+`"`, "the name index does not follow the correction")

	// On the case page: the requests with their deadlines, and a form.
	web := webAs(t, "officer1")
	bad := web.post("/cases/"+c.code+"/subject-requests", url.Values{"kind": {"objection"}, "requested_date": {time.Now().Format("2006-01-02")}})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	require.Contains(t, bad.Body, `id="req-requester-err"`)
	ok := web.post("/cases/"+c.code+"/subject-requests", url.Values{"kind": {"objection"}, "requested_date": {time.Now().Format("2006-01-02")},
		"requester": {requester}})
	require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
	page := web.get(ok.Location)
	require.Contains(t, page.Body, "Đã ghi nhận yêu cầu")
	require.Contains(t, page.Body, "Phản đối xử lý")
	require.Contains(t, page.Body, "hạn trả lời")
	require.NotContains(t, webAs(t, "supervisor1").get("/cases/"+c.code).Body, `id="h-requests"`, "a supervisor sees the requests")

	// The agency that filed the case is reminded of an undecided request a
	// day before its deadline and when it has passed, once per point.
	r = add(map[string]any{"kind": "restriction", "requested_at": time.Now().Format(time.RFC3339), "requester": requester})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	late := int64(r.Body["id"].(float64))
	reminders := func() int { return countNotifications(t, "officer1", "data_request", "Case "+c.code+":") }
	before := reminders()
	require.NoError(t, env.db.Exec(context.Background(), `UPDATE subject_requests SET respond_due_at = now() + interval '2 hours' WHERE id = ?`, late))
	for range 2 {
		_, err := env.db.DB.RemindSubjectRequests(context.Background())
		require.NoError(t, err)
	}
	require.Equal(t, before+1, reminders(), "one reminder a day before the deadline")
	require.NoError(t, env.db.Exec(context.Background(), `UPDATE subject_requests SET respond_due_at = now() - interval '1 hour' WHERE id = ?`, late))
	for range 2 {
		_, err := env.db.DB.RemindSubjectRequests(context.Background())
		require.NoError(t, err)
	}
	require.Equal(t, before+2, reminders(), "one reminder once overdue")
	require.Equal(t, 0, countNotifications(t, "officer2", "data_request", "Case "+c.code+":"), "another agency is reminded")
}
