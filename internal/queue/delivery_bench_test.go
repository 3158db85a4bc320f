package queue_test

import (
	"context"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/gateway"
	"caseflow/internal/mail"
	"caseflow/internal/queue"
	"caseflow/internal/testenv"
	"caseflow/internal/workflow"
)

// BenchmarkDeliveryLatency refers 1,000 reports to the police, each a
// new-work notification for two duty mailboxes and one duty phone, with a
// worker delivering to a real SMTP server and a gateway webhook on
// loopback, and reports per channel the time from each delivery falling due
// (its notification's transaction) to the channel accepting it:
//
//	go test ./internal/queue -run '^$' -bench DeliveryLatency -benchtime 1x
func BenchmarkDeliveryLatency(b *testing.B) {
	ctx := context.Background()
	env, err := testenv.NewDatabase(ctx, "deliverybench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(env.Close)
	if err := env.Exec(ctx, `INSERT INTO contact_points (agency_id, channel, address, created_at)
		SELECT id, 'email', 'a.' || lower(code) || '@duty.example.test', now() FROM agencies WHERE type = 'police'
		UNION ALL SELECT id, 'email', 'b.' || lower(code) || '@duty.example.test', now() FROM agencies WHERE type = 'police'
		UNION ALL SELECT id, 'sms', '+8490' || lpad(id::text, 7, '0'), now() FROM agencies WHERE type = 'police'`); err != nil {
		b.Fatal(err)
	}
	flows, err := workflow.LoadDir("../../workflows")
	if err != nil {
		b.Fatal(err)
	}
	cases := casework.New(casework.Config{Store: env.DB, Workflows: flows, WorkflowID: "child-abuse", WorkflowVersion: 1})
	smtp := testenv.StartSMTP(b)
	hook := httptest.NewServer(&gatewaySink{})
	b.Cleanup(hook.Close)
	opt, err := queue.RedisOpt(testenv.RedisURL())
	if err != nil {
		b.Fatal(err)
	}
	name := "bench-" + testenv.Suffix()
	w := &queue.Worker{DB: env.DB, Redis: opt, Queue: name, Metrics: queue.NewMetrics(prometheus.NewRegistry(), env.DB),
		SweepInterval: time.Hour, Senders: map[string]caseflow.Sender{
			caseflow.ChannelEmail: &mail.Mailer{Addr: smtp.Addr, From: "caseflow@example.test", TLS: mail.TLSNone},
			caseflow.ChannelSMS:   &gateway.Webhook{URL: hook.URL, Secret: []byte(gatewaySecret)},
		}}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	b.Cleanup(func() {
		cancel()
		<-done
		_ = dropQueueKeys(testenv.RedisURL(), name)
	})
	u, err := env.DB.UserByUsername(ctx, "officer1")
	if err != nil {
		b.Fatal(err)
	}
	officer := caseflow.Viewer{UserID: u.ID, Username: u.Username, Role: u.Role, Agency: u.Agency}
	const n = 1000
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Int64
	b.ResetTimer()
	for range 8 {
		wg.Go(func() {
			for i := next.Add(1); i <= n; i = next.Add(1) {
				age := 8
				res, err := cases.Intake(ctx, officer, &caseflow.Report{ReceivedAt: time.Now().Add(-time.Hour), Channel: "hotline_111",
					CommuneCode: "12004", AbuseTypes: []string{"neglect"}, Setting: "family",
					Children:  []caseflow.Person{{FullName: "Trẻ Đo Đạc Hư Cấu " + strconv.FormatInt(i, 10), Sex: "male", Age: &age}},
					Narrative: "Fictional report for a delivery benchmark."}, "", nil)
				if err == nil {
					_, err = cases.Fire(ctx, officer, res.Case.Code, caseflow.EventRequest{Event: "refer_police", Version: res.Case.Version,
						Data: map[string]any{"remote_commune": false}})
				}
				if err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		b.Fatalf("%d referrals failed", failed.Load())
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		left, err := env.QueryStrings(ctx, `SELECT count(*) FROM notification_deliveries WHERE status <> 'sent'`)
		if err != nil {
			b.Fatal(err)
		}
		if left[0] == "0" {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s deliveries not sent after 2 minutes", left[0])
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.StopTimer()
	for _, ch := range caseflow.DeliveryChannels {
		ms, err := env.QueryStrings(ctx, `SELECT (extract(epoch FROM sent_at - not_before) * 1000)::bigint::text
			FROM notification_deliveries WHERE channel = ?`, ch)
		if err != nil {
			b.Fatal(err)
		}
		vals := make([]float64, 0, len(ms))
		for _, m := range ms {
			v, _ := strconv.ParseFloat(m, 64)
			vals = append(vals, v)
		}
		sort.Float64s(vals)
		if len(vals) == 0 {
			b.Fatalf("no %s deliveries", ch)
		}
		b.ReportMetric(float64(len(vals)), ch+"-deliveries")
		b.ReportMetric(vals[len(vals)/2], ch+"-p50-ms")
		b.ReportMetric(vals[len(vals)*99/100], ch+"-p99-ms")
	}
}
