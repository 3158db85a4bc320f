package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/gateway"
	"caseflow/internal/mail"
	"caseflow/internal/queue"
	"caseflow/internal/testenv"
	"caseflow/internal/workflow"
)

// The alerts tests run the product's workflow on a database of their own,
// with a worker that delivers by e-mail to a real SMTP server on loopback
// and by SMS to a gateway webhook on loopback.

// plantedName and plantedPhone are the child's name and the reporter's
// phone of every report these tests file: no message may carry them.
const (
	plantedName  = "Bé Cài Cắm Hư Cấu"
	plantedPhone = "0912345678"
)

// gatewaySink is the SMS gateway: it checks each request's signature and
// keeps the messages.
type gatewaySink struct {
	mu     sync.Mutex
	msgs   []gateway.Message
	bodies []string
	bad    int
}

func (g *gatewaySink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.Header.Get(gateway.SignatureHeader) != "sha256="+gateway.Sign([]byte(gatewaySecret), r.Header.Get(gateway.TimestampHeader), body) {
		g.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var m gateway.Message
	if err := json.Unmarshal(body, &m); err != nil {
		g.bad++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	g.msgs = append(g.msgs, m)
	g.bodies = append(g.bodies, string(body))
	w.WriteHeader(http.StatusAccepted)
}

func (g *gatewaySink) messages() ([]gateway.Message, []string, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]gateway.Message(nil), g.msgs...), append([]string(nil), g.bodies...), g.bad
}

const gatewaySecret = "a-test-gateway-secret"

// noDigests turns the worker's daily digest job off.
var noDigests = -1

type alerts struct {
	f     *fixture
	cases *casework.Service
	smtp  *testenv.SMTPServer
	gw    *gatewaySink
	stop  func()
}

// newAlerts starts the worker with both channels, every police agency
// reachable at two duty mailboxes and one duty phone, and the province's
// supervisors at one mailbox.
func newAlerts(t *testing.T) *alerts {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t)
	require.NoError(t, f.env.Exec(ctx, `DELETE FROM contact_points`))
	require.NoError(t, f.env.Exec(ctx, `INSERT INTO contact_points (agency_id, channel, address, created_at)
		SELECT id, 'email', 'a.' || lower(code) || '@duty.example.test', now() FROM agencies WHERE type = 'police'
		UNION ALL SELECT id, 'email', 'b.' || lower(code) || '@duty.example.test', now() FROM agencies WHERE type = 'police'
		UNION ALL SELECT id, 'sms', '+8490' || lpad(id::text, 7, '0'), now() FROM agencies WHERE type = 'police'
		UNION ALL SELECT id, 'email', 'board@duty.example.test', now() FROM agencies WHERE code = 'BCD-33'`))
	flows, err := workflow.LoadDir("../../workflows")
	require.NoError(t, err)
	a := &alerts{f: f, cases: casework.New(casework.Config{Store: f.env.DB, Workflows: flows, WorkflowID: "child-abuse", WorkflowVersion: 1}),
		smtp: testenv.StartSMTP(t), gw: &gatewaySink{}}
	hook := httptest.NewServer(a.gw)
	t.Cleanup(hook.Close)
	opt, err := queue.RedisOpt(testenv.RedisURL())
	require.NoError(t, err)
	logs := &testenv.LogBuffer{}
	w := &queue.Worker{DB: f.env.DB, Redis: opt, Queue: newQueue(t, testenv.RedisURL()), Log: newLogger(logs),
		Metrics: queue.NewMetrics(prometheus.NewRegistry(), f.env.DB), SweepInterval: time.Second, EscalateInterval: 200 * time.Millisecond,
		Senders: map[string]caseflow.Sender{
			caseflow.ChannelEmail: &mail.Mailer{Addr: a.smtp.Addr, From: "caseflow@example.test", TLS: mail.TLSNone, Timeout: 2 * time.Second},
			caseflow.ChannelSMS:   &gateway.Webhook{URL: hook.URL, Secret: []byte(gatewaySecret), Timeout: 2 * time.Second},
		},
		DeliveryTimeout: 2 * time.Second, DeliveryBackoff: func(int) time.Duration { return 300 * time.Millisecond },
		// The digest test writes the digests itself, when its data is ready.
		DigestHour: &noDigests}
	wctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	var once sync.Once
	a.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			if t.Failed() {
				t.Logf("worker log:\n%s", logs.String())
			}
		})
	}
	t.Cleanup(a.stop)
	return a
}

// file files a report received at received, with the planted personal data.
func (a *alerts) file(t *testing.T, received time.Time) string {
	t.Helper()
	age := 9
	r := &caseflow.Report{ReceivedAt: received, Channel: "hotline_111", CommuneCode: "12004", AbuseTypes: []string{"physical"},
		Setting: "family", ImmediateDanger: true,
		Children:  []caseflow.Person{{FullName: plantedName, Sex: "female", Age: &age}},
		Reporter:  &caseflow.Person{FullName: "Người Báo Hư Cấu", Phone: plantedPhone, Relationship: "neighbour"},
		Narrative: "Câu chuyện hư cấu: " + plantedName + " " + plantedPhone}
	res, err := a.cases.Intake(context.Background(), a.f.officer, r, "", nil)
	require.NoError(t, err)
	return res.Case.Code
}

func (a *alerts) fire(t *testing.T, v caseflow.Viewer, code, event string, data map[string]any) {
	t.Helper()
	c, err := a.cases.Summary(context.Background(), v, code)
	require.NoError(t, err)
	_, err = a.cases.Fire(context.Background(), v, code, caseflow.EventRequest{Event: event, Version: c.Version, Data: data})
	require.NoError(t, err, event)
}

// decoded is an e-mail's subject and body as a reader sees them; a message
// that does not parse is returned as it came, so that what is checked of it
// still applies. (It runs in Eventually's goroutine, which may not stop the
// test.)
func decoded(data string) string {
	msg, err := netmail.ReadMessage(strings.NewReader(data))
	if err != nil {
		return data
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return data
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return data
	}
	return subject + "\n" + string(text)
}

// texts are the decoded e-mails the server accepted.
func (a *alerts) texts() []string {
	var out []string
	for _, m := range a.smtp.Messages() {
		out = append(out, decoded(m.Data))
	}
	return out
}

// mailsFor counts the e-mails about a case, by recipient.
func (a *alerts) mailsFor(code string) map[string]int {
	out := map[string]int{}
	for _, m := range a.smtp.Messages() {
		if strings.Contains(strings.ReplaceAll(m.Data, "=\r\n", ""), code) {
			for _, to := range m.To {
				out[to]++
			}
		}
	}
	return out
}

func noPlantedData(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		require.NotContains(t, s, plantedName)
		require.NotContains(t, s, plantedPhone)
		require.NotContains(t, s, "Hư Cấu")
	}
}

// A referral to the police reaches each contact point of the police agency
// that received it exactly once, on each channel, and names the deadline.
func TestReferralToPoliceAlertsEachContactPointOnce(t *testing.T) {
	t.Parallel()
	a := newAlerts(t)
	code := a.file(t, time.Now().Add(-time.Hour))
	a.fire(t, a.f.officer, code, "refer_police", map[string]any{"remote_commune": false})
	got, err := a.f.env.QueryStrings(context.Background(), `SELECT a.code FROM notifications n JOIN agencies a ON a.id = n.agency_id
		WHERE n.case_code = ? AND n.kind = 'new_work'`, code)
	require.NoError(t, err)
	require.Len(t, got, 1, "one new-work notification, for the police")
	agency := got[0]
	want := map[string]int{"a." + strings.ToLower(agency) + "@duty.example.test": 1, "b." + strings.ToLower(agency) + "@duty.example.test": 1}
	require.Eventually(t, func() bool { return len(a.mailsFor(code)) == 2 }, 10*time.Second, 50*time.Millisecond)
	var sms []gateway.Message
	require.Eventually(t, func() bool {
		msgs, _, _ := a.gw.messages()
		sms = sms[:0]
		for _, m := range msgs {
			if m.CaseCode == code && m.Kind == caseflow.NotificationNewWork {
				sms = append(sms, m)
			}
		}
		return len(sms) == 1
	}, 10*time.Second, 50*time.Millisecond)
	time.Sleep(500 * time.Millisecond) // room for a duplicate to show
	require.Equal(t, want, a.mailsFor(code))
	msgs, bodies, bad := a.gw.messages()
	require.Zero(t, bad, "every gateway request was signed")
	n := 0
	for _, m := range msgs {
		if m.CaseCode == code && m.Kind == caseflow.NotificationNewWork {
			n++
			require.LessOrEqual(t, len([]rune(m.Text)), gateway.MaxSMS)
			require.Contains(t, m.Text, code)
		}
	}
	require.Equal(t, 1, n)
	noPlantedData(t, append(a.texts(), bodies...)...)

	// The police see it in their list, with its deliveries.
	police := a.f.viewer(t, "police1")
	ns, _, err := a.cases.Notifications(context.Background(), police, 50)
	require.NoError(t, err)
	found := false
	for _, x := range ns {
		if x.CaseCode == code && x.Kind == caseflow.NotificationNewWork {
			found = true
			require.NotEmpty(t, x.Clock, "the deadline the police work against")
			require.Len(t, x.Deliveries, 3)
			for _, d := range x.Deliveries {
				require.Equal(t, caseflow.DeliverySent, d.Status, d.Address)
			}
		}
	}
	require.True(t, found, "police1's list shows the referral")
}

// A hung mail server does not hold up breach recording: the breach is
// recorded while the first attempt is still waiting, the mail is retried
// and sent once the server answers, once per recipient, even when its task
// runs again after it was sent.
func TestHungMailServerDoesNotDelayBreaches(t *testing.T) {
	t.Parallel()
	a := newAlerts(t)
	a.smtp.Hang()
	code := a.file(t, time.Now().Add(-time.Hour))
	a.fire(t, a.f.officer, code, "refer_police", map[string]any{"remote_commune": false})
	// The police acceptance clock falls due now.
	require.NoError(t, a.f.env.Exec(context.Background(), `UPDATE case_clocks SET due_at = now(), warn_at = now()
		WHERE case_id = (SELECT id FROM cases WHERE code = ?) AND status = 'running' AND responsible_type = 'police'`, code))
	require.NoError(t, a.f.env.Exec(context.Background(), `INSERT INTO outbox (kind, task_id, payload, run_at, created_at)
		SELECT 'clock:timer', 'clock-' || id || '-g' || generation || '-breach-now', json_build_object('clock_id', id, 'generation', generation, 'kind', 'breach'), now(), now()
		FROM case_clocks WHERE case_id = (SELECT id FROM cases WHERE code = ?) AND status = 'running' AND responsible_type = 'police'`, code))
	var breached int
	require.Eventually(t, func() bool {
		breached = a.f.count(t, `case_clocks WHERE case_id = (SELECT id FROM cases WHERE code = ?) AND status = 'breached'`, code)
		return breached == 1
	}, 10*time.Second, 50*time.Millisecond, "the breach was recorded")
	require.Empty(t, a.mailsFor(code), "recorded before any mail attempt finished")
	// The delivery task may start after the breach is recorded, not
	// before: wait for an attempt to reach the hung server.
	require.Eventually(t, func() bool { return a.smtp.Sessions() > 0 }, 10*time.Second, 50*time.Millisecond, "no mail attempt began")
	require.Empty(t, a.mailsFor(code), "a mail got through the hung server")
	// The server stays hung past the attempts' timeout: they fail and are
	// retried.
	require.Eventually(t, func() bool {
		return a.f.count(t, `notification_deliveries d JOIN notifications n ON n.id = d.notification_id
			WHERE n.case_code = ? AND d.channel = 'email' AND d.status = 'failed'`, code) > 0
	}, 10*time.Second, 50*time.Millisecond, "an attempt timed out")
	a.smtp.Release()
	require.Eventually(t, func() bool {
		return a.f.count(t, `notification_deliveries d JOIN notifications n ON n.id = d.notification_id
			WHERE n.case_code = ? AND n.kind = 'breach' AND d.channel = 'email' AND d.status = 'sent'`, code) >= 2
	}, 20*time.Second, 100*time.Millisecond, "the breach mails were sent after retries")
	require.Eventually(t, func() bool {
		return a.f.count(t, `notification_deliveries d JOIN notifications n ON n.id = d.notification_id
			WHERE n.case_code = ? AND d.attempts > 1 AND d.status = 'sent'`, code) > 0 &&
			a.f.count(t, `notification_deliveries d JOIN notifications n ON n.id = d.notification_id
			WHERE n.case_code = ? AND d.status <> 'sent'`, code) == 0
	}, 20*time.Second, 100*time.Millisecond, "the failed attempts were retried and every delivery sent")

	// The worker is killed after sending and its task runs again.
	require.NoError(t, a.f.env.Exec(context.Background(), `INSERT INTO outbox (kind, task_id, payload, run_at, created_at)
		SELECT 'delivery:send', 'delivery:' || d.id || ':rerun', json_build_object('delivery_id', d.id), now(), now()
		FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id WHERE n.case_code = ?`, code))
	require.Eventually(t, func() bool {
		return a.f.count(t, `outbox WHERE task_id LIKE 'delivery:%:rerun' AND relayed_at IS NULL`) == 0
	}, 5*time.Second, 50*time.Millisecond)
	time.Sleep(time.Second)
	for to, n := range a.mailsFor(code) {
		want := 1
		if strings.Contains(to, "police") || strings.HasPrefix(to, "a.") || strings.HasPrefix(to, "b.") {
			want = 2 // the new work and the breach
		}
		require.Equal(t, want, n, to)
	}
	noPlantedData(t, a.texts()...)
}

// An unacknowledged breach escalates once at the declared time, to the
// province's supervisors; an acknowledged one does not.
func TestBreachEscalatesUnlessAcknowledged(t *testing.T) {
	t.Parallel()
	a := newAlerts(t)
	ctx := context.Background()
	ladder := `[{"after_hours": 24, "to": "province_supervisors"}, {"after_hours": 24, "to": "supervision"}]`
	breach := func() string {
		code := a.file(t, time.Now().Add(-time.Hour))
		a.fire(t, a.f.officer, code, "refer_police", map[string]any{"remote_commune": false})
		require.NoError(t, a.f.env.Exec(ctx, `UPDATE case_clocks SET escalation = ?::jsonb, due_at = now(), warn_at = now()
			WHERE case_id = (SELECT id FROM cases WHERE code = ?) AND status = 'running' AND responsible_type = 'police'`, ladder, code))
		require.NoError(t, a.f.env.Exec(ctx, `INSERT INTO outbox (kind, task_id, payload, run_at, created_at)
			SELECT 'clock:timer', 'clock-' || id || '-esc', json_build_object('clock_id', id, 'generation', generation, 'kind', 'breach'), now(), now()
			FROM case_clocks WHERE case_id = (SELECT id FROM cases WHERE code = ?) AND status = 'running' AND responsible_type = 'police'`, code))
		require.Eventually(t, func() bool {
			return a.f.count(t, `case_clocks WHERE case_id = (SELECT id FROM cases WHERE code = ?) AND status = 'breached'
				AND escalate_at > now() + interval '23 hours'`, code) == 1
		}, 10*time.Second, 50*time.Millisecond, "the breach set its first rung 24 h on")
		return code
	}
	ignored, acknowledged := breach(), breach()

	police := a.f.viewer(t, "police1")
	ns, _, err := a.cases.Notifications(ctx, police, 100)
	require.NoError(t, err)
	for _, n := range ns {
		if n.CaseCode == acknowledged && n.Kind == caseflow.NotificationBreach {
			require.NoError(t, a.cases.AcknowledgeNotification(ctx, police, n.ID, "Đã phân công cán bộ xử lý"))
			require.NoError(t, a.cases.AcknowledgeNotification(ctx, police, n.ID, "again"), "a repeat changes nothing")
		}
	}
	require.Equal(t, 1, a.f.count(t, `case_history WHERE event = 'breach_acknowledged' AND case_id = (SELECT id FROM cases WHERE code = ?)`, acknowledged))

	// Twenty-four hours pass.
	require.NoError(t, a.f.env.Exec(ctx, `UPDATE case_clocks SET escalate_at = escalate_at - interval '24 hours'
		WHERE escalate_at IS NOT NULL AND case_id IN (SELECT id FROM cases WHERE code IN (?, ?))`, ignored, acknowledged))
	require.NoError(t, a.f.env.Exec(ctx, `UPDATE case_clocks SET escalate_at = now() - interval '1 second'
		WHERE acknowledged_at IS NOT NULL AND case_id = (SELECT id FROM cases WHERE code = ?)`, acknowledged))
	require.Eventually(t, func() bool {
		return a.f.count(t, `case_history WHERE event = 'clock_escalated' AND case_id = (SELECT id FROM cases WHERE code = ?)`, ignored) == 1
	}, 10*time.Second, 50*time.Millisecond, "the ignored breach escalated")
	time.Sleep(time.Second)
	require.Equal(t, 1, a.f.count(t, `case_history WHERE event = 'clock_escalated' AND case_id = (SELECT id FROM cases WHERE code = ?)`, ignored),
		"once: the next rung is 24 h later")
	require.Zero(t, a.f.count(t, `case_history WHERE event = 'clock_escalated' AND case_id = (SELECT id FROM cases WHERE code = ?)`, acknowledged))
	sup, _, err := a.cases.Notifications(ctx, a.f.supervisor, 100)
	require.NoError(t, err)
	escalations := 0
	for _, n := range sup {
		if n.Kind == caseflow.NotificationEscalation {
			require.Equal(t, ignored, n.CaseCode)
			escalations++
		}
	}
	require.Equal(t, 1, escalations, "the province's supervisors are told")
	require.Eventually(t, func() bool { return a.mailsFor(ignored)["board@duty.example.test"] >= 2 }, 10*time.Second, 50*time.Millisecond,
		"the board's mailbox has the breach and the escalation")

	// Compliance counts it as escalated.
	p, err := caseflow.ParsePeriod("2026-01-01", "", time.Now())
	require.NoError(t, err)
	rep, err := a.cases.Compliance(ctx, a.f.supervisor, casework.ComplianceRequest{From: p.FromDate(), To: p.ToDate()})
	require.NoError(t, err)
	require.EqualValues(t, 1, rep.EscalationTotal())
}

// A delivery whose every retry fails is dead, counted, and sent again by
// `caseflow notifications retry-dead` once the channel works.
func TestDeadDeliveriesAreRetriedOnRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	rw := f.startWorker(t, workerOptions{queue: newQueue(t, testenv.RedisURL()), sweep: time.Hour, retries: 1})
	rw.notifier.mu.Lock()
	rw.notifier.fail = func(caseflow.Delivery) error { return errors.New("mail server unreachable") }
	rw.notifier.mu.Unlock()
	code := f.file(t, time.Now().Add(time.Second))
	f.waitClock(t, code, time.Now().Add(lateness+3*time.Second), breached)
	dead := func() int {
		return f.count(t, `notification_deliveries d JOIN notifications n ON n.id = d.notification_id
			WHERE n.case_code = ? AND d.status = 'dead'`, code)
	}
	require.Eventually(t, func() bool { return dead() >= 2 }, 15*time.Second, 50*time.Millisecond, "the deliveries died")
	require.Equal(t, 2, f.count(t, `notification_deliveries d JOIN notifications n ON n.id = d.notification_id
		WHERE n.case_code = ? AND d.status = 'dead' AND d.attempts = 2 AND d.last_error LIKE '%unreachable%'`, code))
	require.Positive(t, rw.counter(t, "caseflow_deliveries_total", "outcome", "dead"))

	rw.notifier.mu.Lock()
	rw.notifier.fail = nil
	rw.notifier.mu.Unlock()
	n, err := f.env.DB.RetryDeadDeliveries(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 2)
	require.Eventually(t, func() bool {
		return dead() == 0 && len(rw.notifier.delivered("breach")) == 2
	}, 10*time.Second, 50*time.Millisecond, "the dead deliveries were sent")
	require.Zero(t, rw.notifier.repeats())
}

// Each agency gets one digest a day of its deadlines in the next 48 hours
// and its overdue ones, on every channel, naming cases by code only.
func TestDailyDigestOncePerAgency(t *testing.T) {
	t.Parallel()
	a := newAlerts(t)
	ctx := context.Background()
	soon, late := a.file(t, time.Now().Add(-time.Hour)), a.file(t, time.Now().Add(-time.Hour))
	for _, code := range []string{soon, late} {
		a.fire(t, a.f.officer, code, "refer_police", map[string]any{"remote_commune": false})
	}
	require.NoError(t, a.f.env.Exec(ctx, `UPDATE case_clocks SET due_at = now() + interval '10 hours', warn_at = now() + interval '9 hours'
		WHERE case_id = (SELECT id FROM cases WHERE code = ?) AND responsible_type = 'police'`, soon))
	require.NoError(t, a.f.env.Exec(ctx, `UPDATE case_clocks SET status = 'breached', breached_at = now(), due_at = now() - interval '1 hour'
		WHERE case_id = (SELECT id FROM cases WHERE code = ?) AND responsible_type = 'police'`, late))
	n, err := a.f.env.DB.SendDigests(ctx, 0)
	require.NoError(t, err)
	require.Positive(t, n)
	again, err := a.f.env.DB.SendDigests(ctx, 0)
	require.NoError(t, err)
	require.Zero(t, again, "one digest a day")
	var digest string
	require.Eventually(t, func() bool {
		for _, m := range a.smtp.Messages() {
			text := decoded(m.Data)
			if strings.Contains(text, soon) && strings.Contains(text, late) && strings.HasPrefix(m.To[0], "a.") {
				digest = text
				return true
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "the police's digest reached its mailbox")
	require.Contains(t, digest, "1 quá hạn")
	require.Contains(t, digest, "1 hạn đến trong 48 giờ")
	noPlantedData(t, digest)
	require.Eventually(t, func() bool {
		msgs, _, _ := a.gw.messages()
		for _, m := range msgs {
			if m.Kind == caseflow.NotificationDigest {
				return len([]rune(m.Text)) <= gateway.MaxSMS
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "the digest went by SMS too")
}
