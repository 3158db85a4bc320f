package casework

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"caseflow/internal/caseflow"
)

// The retention of personal data: once a closed case's period under the
// policy (caseflow.RetentionPolicy) has passed, its personal data is
// erased by destroying its data key. The policy is the province's, set in
// RETENTION; without one nothing is erased.

// retentionViewer is who the audit names for an erasure the policy made.
var retentionViewer = caseflow.Viewer{Username: "caseflow retention", RequestID: "retention"}

// Retention returns the policy in force.
func (s *Service) Retention() caseflow.RetentionPolicy { return s.retention }

// DueForErasure lists the closed cases whose retention ends before now +
// within (within 0: those already due), up to limit, soonest first within
// each batch read.
func (s *Service) DueForErasure(ctx context.Context, within time.Duration, limit int) ([]caseflow.ClosedCase, error) {
	years, ok := s.retention.Shortest()
	if !ok {
		return nil, nil
	}
	until := s.now().Add(within)
	// No case closed after this can be due: the shortest period is a bound.
	bound := until.In(caseflow.Zone).AddDate(-years, 0, 0)
	var out []caseflow.ClosedCase
	for after := int64(0); len(out) < limit; {
		batch, err := s.store.ClosedCases(ctx, bound, after, 1000)
		if err != nil {
			return nil, err
		}
		if len(batch) == 0 {
			break
		}
		for _, c := range batch {
			if at, keep := s.retention.ShredAfter(c.Outcome, c.ClosedAt); keep && !at.After(until) {
				c.ShredAfter = at.UTC()
				out = append(out, c)
				if len(out) == limit {
					break
				}
			}
		}
		after = batch[len(batch)-1].ID
	}
	return out, nil
}

// ApplyRetention erases the personal data of up to limit cases whose
// retention has ended, each on its own; a case that cannot be erased is
// counted, not allowed to stop the others. The audit records each with its
// code, outcome and dates only.
func (s *Service) ApplyRetention(ctx context.Context, limit int) ([]caseflow.ClosedCase, []error, error) {
	due, err := s.DueForErasure(ctx, 0, limit)
	if err != nil {
		return nil, nil, err
	}
	var done []caseflow.ClosedCase
	var failed []error
	for _, c := range due {
		reason := fmt.Sprintf("retention: %s, closed %s, due %s", or(c.Outcome, "no outcome"),
			caseflow.Local(c.ClosedAt).Format("2006-01-02"), caseflow.Local(c.ShredAfter).Format("2006-01-02"))
		if err := s.store.ShredCase(ctx, retentionViewer, c.Code, reason); err != nil {
			failed = append(failed, fmt.Errorf("case %s: %w", c.Code, err))
			continue
		}
		done = append(done, c)
	}
	return done, failed, nil
}

// RetentionFigures are the erasure figures of a unit: cases erased, erased
// in the last 30 days, and due within the next 90 days.
type RetentionFigures struct {
	Enabled              bool
	Policy               string
	Erased, ErasedRecent int64
	DueSoon              int
}

// retentionCache keeps each unit's figures for a while: counting the cases
// due reads the closed cases kept, which grow with the years, and the
// dashboard asks on every load.
type retentionCache struct {
	mu     sync.Mutex
	byUnit map[string]retentionEntry
}

type retentionEntry struct {
	figures *RetentionFigures
	at      time.Time
}

// RetentionFiguresOf returns the figures for the viewer's unit, counted at
// most every ten minutes.
func (s *Service) RetentionFiguresOf(ctx context.Context, v caseflow.Viewer) (*RetentionFigures, error) {
	unit, now := v.Agency.Unit.Path, s.now()
	s.retentionFigures.mu.Lock()
	defer s.retentionFigures.mu.Unlock()
	if e, ok := s.retentionFigures.byUnit[unit]; ok && now.Sub(e.at) < 10*time.Minute {
		return e.figures, nil
	}
	f, err := s.countRetention(ctx, unit)
	if err != nil {
		return nil, err
	}
	if s.retentionFigures.byUnit == nil {
		s.retentionFigures.byUnit = map[string]retentionEntry{}
	}
	s.retentionFigures.byUnit[unit] = retentionEntry{figures: f, at: now}
	return f, nil
}

func (s *Service) countRetention(ctx context.Context, unit string) (*RetentionFigures, error) {
	f := &RetentionFigures{Enabled: s.retention.Enabled(), Policy: s.retention.String()}
	var err error
	if f.Erased, f.ErasedRecent, err = s.store.ShreddedCount(ctx, unit, s.now().AddDate(0, 0, -30)); err != nil {
		return nil, err
	}
	due, err := s.DueForErasure(ctx, 90*24*time.Hour, 100000)
	if err != nil {
		return nil, err
	}
	for _, c := range due {
		if strings.HasPrefix(c.UnitPath, unit) {
			f.DueSoon++
		}
	}
	return f, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Processing returns the legal basis and consents recorded for a case (the
// legal obligation when none is), for agencies that see its people.
func (s *Service) Processing(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Processing, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	p, _, err := s.store.Processing(ctx, v, code)
	return p, err
}

// SetProcessing checks and records the legal basis and consents of a case
// against its children's ages; agencies with the whole case may.
func (s *Service) SetProcessing(ctx context.Context, v caseflow.Viewer, code string, p caseflow.Processing) error {
	if err := readsCases(v); err != nil {
		return err
	}
	if !v.Role.ActsOnCases() {
		return caseflow.Errorf(caseflow.EForbidden, "this role does not record a case's legal basis")
	}
	_, ages, err := s.store.Processing(ctx, v, code)
	if err != nil {
		return err
	}
	p.ConsentNote = strings.TrimSpace(p.ConsentNote)
	if err := p.Validate(ages); err != nil {
		return err
	}
	return s.store.SetProcessing(ctx, v, code, p)
}
