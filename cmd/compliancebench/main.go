// Command compliancebench times the compliance report — every indicator with
// its breakdowns, as GET /api/v1/compliance computes it — for the whole
// province and for one commune, and prints p50 and p95. Run it against a
// database filled by `caseflow seed --synthetic N`:
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/caseflow_synth?sslmode=disable \
//	    go run ./cmd/compliancebench -from 2025-01-01 -to 2025-12-31 -unit 12004 -n 30
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"caseflow/internal/caseflow"
	"caseflow/internal/clock"
	"caseflow/internal/config"
	"caseflow/internal/postgres"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "compliancebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv config.Getenv, out io.Writer) error {
	fs := flag.NewFlagSet("compliancebench", flag.ContinueOnError)
	from := fs.String("from", "2025-01-01", "first day of the period (YYYY-MM-DD)")
	to := fs.String("to", "2025-12-31", "last day of the period (YYYY-MM-DD)")
	province := fs.String("province", "33", "code of the province")
	district := fs.String("unit", "12004", "code of a unit below the province (today's structure)")
	n := fs.Int("n", 30, "timed runs per unit")
	warmup := fs.Int("warmup", 3, "untimed runs per unit first")
	drill := fs.Bool("drill", true, "also time the first page of a drill-down (resolution, not met)")
	base := fs.Bool("base", false, "also time the report counted from the base tables, without the roll-up")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv, false)
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, nil, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := caseflow.ParsePeriod(*from, *to, clock.Now())
	if err != nil {
		return err
	}
	cases, err := db.CaseCount(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "database %s: %d cases; period %s to %s; %d runs after %d warm-up\n",
		postgres.Where(cfg.DatabaseURL), cases, p.FromDate(), p.ToDate(), *n, *warmup)
	for _, code := range []string{*province, *district} {
		u, _, err := db.UnitByCode(ctx, code)
		if err != nil {
			return err
		}
		q := caseflow.ComplianceQuery{Period: p, Unit: *u, AsOf: clock.Now()}
		var rep *caseflow.ComplianceReport
		times, err := measure(*warmup, *n, func() error {
			var err error
			rep, err = db.Compliance(ctx, q)
			return err
		})
		if err != nil {
			return err
		}
		res := rep.Indicators[1]
		fmt.Fprintf(out, "report  %-8s %-28s p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms  (resolution %d/%d, %d children)\n",
			u.Level, u.Name, ms(times, 0.50), ms(times, 0.95), ms(times, 1), res.Numerator, res.Denominator, rep.Children.Total)
		// The dashboard page reads the report and one indicator's months
		// (at most 24) in one more query.
		trendFrom := p.From
		if first := p.To.AddDate(0, -23, 0); first.After(trendFrom) {
			trendFrom = time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, caseflow.Zone)
		}
		tq := q
		tq.Period = caseflow.Period{From: trendFrom, To: p.To}
		times, err = measure(*warmup, *n, func() error {
			if _, err := db.Compliance(ctx, q); err != nil {
				return err
			}
			_, err := db.ComplianceTrend(ctx, tq, string(caseflow.IndicatorResolution))
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "dashbd  %-8s %-28s p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms  (report and the months' trend of resolution)\n",
			u.Level, u.Name, ms(times, 0.50), ms(times, 0.95), ms(times, 1))
		if *base {
			times, err = measure(1, *n/4+1, func() error {
				_, err := db.ComplianceFromBase(ctx, q)
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "base    %-8s %-28s p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms  (the same report from the base tables)\n",
				u.Level, u.Name, ms(times, 0.50), ms(times, 0.95), ms(times, 1))
		}
		if !*drill {
			continue
		}
		v := caseflow.Viewer{Role: caseflow.RoleSupervisor, Agency: caseflow.Agency{ID: 1, Unit: *u}}
		dq := caseflow.ComplianceCaseQuery{ComplianceQuery: q, Indicator: string(caseflow.IndicatorResolution),
			Part: caseflow.PartMissed, Limit: 200}
		times, err = measure(*warmup, *n, func() error {
			_, err := db.ComplianceCases(ctx, v, dq)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "drill   %-8s %-28s p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms\n",
			u.Level, u.Name, ms(times, 0.50), ms(times, 0.95), ms(times, 1))
	}
	return nil
}

// measure runs f warmup times, then n timed times, and returns the times sorted.
func measure(warmup, n int, f func() error) ([]time.Duration, error) {
	for range warmup {
		if err := f(); err != nil {
			return nil, err
		}
	}
	times := make([]time.Duration, 0, n)
	for range n {
		start := clock.Now()
		if err := f(); err != nil {
			return nil, err
		}
		times = append(times, clock.Since(start))
	}
	slices.Sort(times)
	return times, nil
}

// ms is the q-quantile of sorted durations (nearest rank), in milliseconds.
func ms(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)) + 0.999999)
	i = min(max(i, 1), len(sorted))
	return float64(sorted[i-1].Microseconds()) / 1000
}
