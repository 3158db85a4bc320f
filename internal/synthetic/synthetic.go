package synthetic

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
	wallclock "caseflow/internal/clock"
	"caseflow/internal/workflow"
)

// Options says what Generate makes.
type Options struct {
	// Cases is the number of cases to generate.
	Cases int
	// From is the earliest a report may have been received; default
	// 1 January 2021 in the province's time.
	From time.Time
	// To is the latest a report or event may happen; default Now().
	To time.Time
	// Seed makes a run repeatable; default 1.
	Seed uint64
	// Writers is the number of batches written at once; default 2.
	Writers int
	// BatchSize is the number of cases per transaction; default 5000.
	BatchSize int
	// Progress, when set, is told how many cases have been written so far.
	Progress func(done int)
	// CheckReferences keeps the foreign-key checks on while loading even
	// when the database user is a superuser (who skips them by default).
	CheckReferences bool
	// Now is the time source for the default To; default time.Now.
	Now func() time.Time
}

// Result counts what Generate wrote.
type Result struct {
	Cases, People, Access, History, Clocks int64
	Elapsed                                time.Duration
}

// Store is the storage Generate reads its reference data from and writes
// its rows to; *postgres.DB is one.
type Store interface {
	// SyntheticReference returns the communes and the agencies with
	// jurisdiction over each, the user that files synthetic cases (created
	// if need be), and the given names and narratives sealed.
	SyntheticReference(ctx context.Context, names, narratives []string) (*Reference, error)
	// HolidayDates returns the public holidays of the legal calendar.
	HolidayDates(ctx context.Context) ([]time.Time, error)
	// WorkingDates returns the weekend days a swap makes working days.
	WorkingDates(ctx context.Context) ([]time.Time, error)
	// ReserveCaseCodes hands out one case code per report, by the year it
	// was received, so that cases filed later never reuse one.
	ReserveCaseCodes(ctx context.Context, received []time.Time) ([]string, error)
	// ReserveCaseIDs hands out n case ids.
	ReserveCaseIDs(ctx context.Context, n int) ([]int64, error)
	// CopySynthetic writes a batch in one transaction.
	CopySynthetic(ctx context.Context, b *Batch, checkReferences bool) error
	// AnalyzeSynthetic refreshes the statistics of the tables written.
	AnalyzeSynthetic(ctx context.Context) error
}

// Reference is the stored data synthetic cases refer to.
type Reference struct {
	Communes []Commune
	// UserID files every synthetic case and fires its events.
	UserID int64
	// Names and Narratives are sealed, ready to store.
	Names, Narratives []string
}

// Commune is a commune, the days it existed, and by agency type the agency
// the jurisdiction table names for it: Agencies from its first day, then
// each of Later from its day on.
type Commune struct {
	ID       int64
	Path     string
	Remote   bool
	Agencies map[caseflow.AgencyType]int64
	Later    []Span
	// From is the commune's first instant; To the instant after its end,
	// zero while it lasts.
	From, To time.Time
}

// Span is a change of the agencies that serve a commune, from a day on.
type Span struct {
	From     time.Time
	Agencies map[caseflow.AgencyType]int64
}

// Covers reports whether a report received at t may name the commune.
func (c *Commune) Covers(t time.Time) bool {
	return !t.Before(c.From) && (c.To.IsZero() || t.Before(c.To))
}

// AgenciesAt returns the agencies that serve the commune at t.
func (c *Commune) AgenciesAt(t time.Time) map[caseflow.AgencyType]int64 {
	out := c.Agencies
	for _, s := range c.Later {
		if !t.Before(s.From) {
			out = s.Agencies
		}
	}
	return out
}

// User is the username of the user that files synthetic cases; it is
// disabled and has no usable password.
const User = "synthetic"

// fictionalNames are the names sealed into the pool; none is a real person.
var fictionalNames = []string{"Bé Hư Cấu An", "Bé Hư Cấu Bình", "Bé Hư Cấu Chi", "Bé Hư Cấu Dung", "Bé Hư Cấu Giang",
	"Bé Hư Cấu Hà", "Bé Hư Cấu Khánh", "Bé Hư Cấu Lan", "Bé Hư Cấu Minh", "Bé Hư Cấu Ngọc", "Bé Hư Cấu Oanh",
	"Bé Hư Cấu Phúc", "Bé Hư Cấu Quân", "Bé Hư Cấu Sơn", "Bé Hư Cấu Thảo", "Bé Hư Cấu Uyên"}

func fictionalNarratives() []string {
	out := make([]string, 8)
	for i := range out {
		out[i] = fmt.Sprintf("Tin báo hư cấu, dữ liệu tổng hợp để thử nghiệm (mẫu %d).", i+1)
	}
	return out
}

// WalkedVersion is the version of the child-abuse workflow the generator
// walks: its walk knows states, clocks and roles but not yet the guards,
// facts and readings that version 2 adds, so it writes version 1 cases,
// which the service still runs.
const WalkedVersion = 1

// Generate writes opt.Cases fictional cases on the workflow def, spread over
// the years from opt.From to opt.To, with their history, clocks, access and
// children. The same definition, seed and period give the same rows.
func Generate(ctx context.Context, store Store, def *workflow.Definition, opt Options) (*Result, error) {
	started := wallclock.Now()
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	if def == nil {
		return nil, errors.New("synthetic: no workflow definition")
	}
	ref, err := store.SyntheticReference(ctx, fictionalNames, fictionalNarratives())
	if err != nil {
		return nil, err
	}
	days, err := store.HolidayDates(ctx)
	if err != nil {
		return nil, err
	}
	working, err := store.WorkingDates(ctx)
	if err != nil {
		return nil, err
	}
	w, err := newWalker(def, calendar.New(calendar.DatesOf(days)).WithWorkingDays(calendar.DatesOf(working)), ref)
	if err != nil {
		return nil, err
	}

	rng := rand.New(rand.NewPCG(opt.Seed, 0x5eed))
	received := arrivals(rng, opt.Cases, opt.From, opt.To)
	codes, err := store.ReserveCaseCodes(ctx, received)
	if err != nil {
		return nil, err
	}

	// Batches are generated in order, each by one of a few generators, and
	// written as they come; ids are reserved in order, so a case's rows do
	// not depend on which generator or writer handled it.
	type job struct {
		lo, hi int
		ids    []int64
		out    chan *Batch
	}
	jobs := make(chan job, opt.Writers)
	ready := make(chan chan *Batch, opt.Writers*2)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(jobs)
		defer close(ready)
		for lo := 0; lo < len(received); lo += opt.BatchSize {
			hi := min(lo+opt.BatchSize, len(received))
			ids, err := store.ReserveCaseIDs(gctx, hi-lo)
			if err != nil {
				return err
			}
			j := job{lo: lo, hi: hi, ids: ids, out: make(chan *Batch, 1)}
			select {
			case jobs <- j:
			case <-gctx.Done():
				return gctx.Err()
			}
			select {
			case ready <- j.out:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range generators {
		g.Go(func() error {
			memo := w.newMemo()
			for j := range jobs {
				b, err := w.batch(memo, opt, received[j.lo:j.hi], codes[j.lo:j.hi], j.ids, j.lo)
				if err != nil {
					return err
				}
				j.out <- b
			}
			return nil
		})
	}
	res := &Result{}
	batches := make(chan *Batch, opt.Writers)
	g.Go(func() error {
		defer close(batches)
		for out := range ready {
			var b *Batch
			select {
			case b = <-out:
			case <-gctx.Done():
				return gctx.Err()
			}
			select {
			case batches <- b:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	done := make(chan int, 1)
	done <- 0
	for range opt.Writers {
		g.Go(func() error {
			for b := range batches {
				if err := store.CopySynthetic(gctx, b, opt.CheckReferences); err != nil {
					return err
				}
				n := <-done + len(b.Cases)
				res.Cases += int64(len(b.Cases))
				res.People += int64(len(b.People))
				res.Access += int64(len(b.Access))
				res.History += int64(len(b.History))
				res.Clocks += int64(len(b.Clocks))
				done <- n
				if opt.Progress != nil {
					opt.Progress(n)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := store.AnalyzeSynthetic(ctx); err != nil {
		return nil, err
	}
	res.Elapsed = wallclock.Since(started)
	return res, nil
}

// generators is the number of goroutines playing cases at once; the
// writers and the database need the rest of the processor.
const generators = 2

func (opt *Options) defaults() error {
	if opt.Cases <= 0 {
		return errors.New("synthetic: the number of cases must be positive")
	}
	if opt.From.IsZero() {
		opt.From = time.Date(2021, 1, 1, 0, 0, 0, 0, caseflow.Zone)
	}
	if opt.To.IsZero() {
		opt.To = opt.Now()
	}
	if !opt.To.After(opt.From) {
		return errors.New("synthetic: the period is empty")
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.Writers <= 0 {
		opt.Writers = 2
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 5000
	}
	return nil
}

// batch plays the cases of one batch. Each case draws from a generator of
// its own, so that its story depends on the seed and its place, not on its
// neighbours.
func (w *walker) batch(memo *memo, opt Options, received []time.Time, codes []string, ids []int64, first int) (*Batch, error) {
	// Room for a typical case's rows, so that the slices do not grow.
	n := len(received)
	b := &Batch{Cases: make([]Case, 0, n), People: make([]Person, 0, n*5/4), Access: make([]Access, 0, n*4),
		History: make([]History, 0, n*16), Clocks: make([]Clock, 0, n*9)}
	pcg := rand.NewPCG(0, 0)
	r := rand.New(pcg)
	s := &story{w: w, memo: memo, r: r, b: b, now: opt.To}
	for i := range received {
		pcg.Seed(opt.Seed, uint64(first+i)+1)
		if err := s.play(ids[i], codes[i], received[i]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// arrivals draws n report times between from and to, oldest first: fewer
// each year (about 6% a year, as the plan hopes), more in the summer
// holidays, mostly in the daytime.
func arrivals(r *rand.Rand, n int, from, to time.Time) []time.Time {
	span := to.Sub(from)
	base := from.In(caseflow.Zone).Year()
	weight := func(t time.Time) float64 {
		lt := t.In(caseflow.Zone)
		w := 1.0
		for y := base; y < lt.Year(); y++ {
			w *= 0.94
		}
		if m := lt.Month(); m >= time.June && m <= time.August {
			w *= 1.3
		}
		if h := lt.Hour(); h < 7 || h >= 21 {
			w *= 0.25
		}
		return w
	}
	out := make([]time.Time, 0, n)
	for len(out) < n {
		t := from.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Minute)
		if r.Float64()*1.3 <= weight(t) {
			out = append(out, t.UTC())
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}
