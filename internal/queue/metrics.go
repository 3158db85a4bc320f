package queue

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// MetricsStore is the storage the gauges are read from at scrape time;
// *postgres.DB is the one in production.
type MetricsStore interface {
	// RunningClocks counts running clocks by clock id.
	RunningClocks(ctx context.Context) (map[string]int64, error)
	// OutboxBacklog counts outbox items not yet relayed.
	OutboxBacklog(ctx context.Context) (int64, error)
	// ComplianceQueue counts the cases waiting to be rolled up.
	ComplianceQueue(ctx context.Context) (int64, error)
	// DeliveryCounts counts deliveries by channel and status.
	DeliveryCounts(ctx context.Context) (map[[2]string]int64, error)
	// StuckItems counts the items set aside after they failed, by kind.
	StuckItems(ctx context.Context) (map[string]int64, error)
}

// Metrics are the worker's Prometheus metrics.
type Metrics struct {
	Breaches      *prometheus.CounterVec
	Warnings      *prometheus.CounterVec
	Lateness      prometheus.Histogram
	SweeperCaught *prometheus.CounterVec
	Relayed       prometheus.Counter
	RolledUp      prometheus.Counter
	// BreachBatch is how many breaches a breach timer recorded at once.
	BreachBatch prometheus.Histogram
	// Deliveries counts attempts by channel and outcome (sent, failed:
	// to be retried, dead).
	Deliveries *prometheus.CounterVec
	// DeliveryLatency is the time from a delivery being due to it being
	// sent, by channel.
	DeliveryLatency *prometheus.HistogramVec
}

// NewMetrics creates the worker metrics and registers them, with gauges of
// running clocks and outbox backlog read from Postgres at scrape time.
func NewMetrics(reg prometheus.Registerer, db MetricsStore) *Metrics {
	m := &Metrics{
		Breaches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "caseflow_clock_breaches_total",
			Help: "Deadline breaches recorded, by clock and responsible agency."}, []string{"clock", "agency"}),
		Warnings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "caseflow_clock_warnings_total",
			Help: "Deadline warnings recorded, by clock."}, []string{"clock"}),
		Lateness: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "caseflow_breach_detection_lateness_seconds",
			Help:    "Time from a clock's due time to its breach being recorded.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60, 300}}),
		SweeperCaught: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "caseflow_sweeper_catches_total",
			Help: "Warnings and breaches recorded by the sweeper because the timer path missed them."}, []string{"kind"}),
		Relayed: prometheus.NewCounter(prometheus.CounterOpts{Name: "caseflow_outbox_relayed_total",
			Help: "Outbox rows relayed to the queue."}),
		RolledUp: prometheus.NewCounter(prometheus.CounterOpts{Name: "caseflow_compliance_rolled_up_total",
			Help: "Cases rolled up into the compliance roll-up (a case counts at each change)."}),
	}
	m.BreachBatch = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "caseflow_breach_batch_size",
		Help:    "Breaches recorded together by one breach timer: its own clock and those due with it.",
		Buckets: []float64{1, 2, 5, 10, 50, 100, 250, 500, 1000}})
	m.Deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "caseflow_deliveries_total",
		Help: "Attempts at delivering notifications, by channel and outcome (sent, failed and to be retried, dead)."},
		[]string{"channel", "outcome"})
	m.DeliveryLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "caseflow_delivery_latency_seconds",
		Help:    "Time from a delivery being due to the channel accepting it.",
		Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 7200}}, []string{"channel"})
	reg.MustRegister(m.Breaches, m.Warnings, m.Lateness, m.SweeperCaught, m.Relayed, m.RolledUp, m.BreachBatch, m.Deliveries, m.DeliveryLatency,
		&dbCollector{db: db})
	return m
}

var (
	runningDesc  = prometheus.NewDesc("caseflow_clocks_running", "Deadline clocks running, by clock.", []string{"clock"}, nil)
	backlogDesc  = prometheus.NewDesc("caseflow_outbox_backlog", "Outbox rows not yet relayed to the queue.", nil, nil)
	deliveryDesc = prometheus.NewDesc("caseflow_deliveries", "Deliveries of notifications by channel and status (pending, sent, failed: to be retried, dead).",
		[]string{"channel", "status"}, nil)
	stuckDesc = prometheus.NewDesc("caseflow_stuck_items", "Items set aside after they failed and tried again with backoff, by kind (clock: a warning or breach that cannot be written; outbox: a task the queue refused).",
		[]string{"kind"}, nil)
	rollUpDesc = prometheus.NewDesc("caseflow_compliance_queue", "Changes of cases not yet rolled up into the compliance roll-up.", nil, nil)
)

// dbCollector reads gauges from Postgres when scraped.
type dbCollector struct{ db MetricsStore }

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- runningDesc
	ch <- backlogDesc
	ch <- rollUpDesc
	ch <- deliveryDesc
	ch <- stuckDesc
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if running, err := c.db.RunningClocks(ctx); err == nil {
		for clock, n := range running {
			ch <- prometheus.MustNewConstMetric(runningDesc, prometheus.GaugeValue, float64(n), clock)
		}
	}
	if n, err := c.db.OutboxBacklog(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(n))
	}
	if n, err := c.db.ComplianceQueue(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(rollUpDesc, prometheus.GaugeValue, float64(n))
	}
	if counts, err := c.db.DeliveryCounts(ctx); err == nil {
		for k, n := range counts {
			ch <- prometheus.MustNewConstMetric(deliveryDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
		}
	}
	if counts, err := c.db.StuckItems(ctx); err == nil {
		for kind, n := range counts {
			ch <- prometheus.MustNewConstMetric(stuckDesc, prometheus.GaugeValue, float64(n), kind)
		}
	}
}
