package casework

import (
	"context"
	"sync"
	"time"

	"caseflow/internal/caseflow"
)

// directoryCache holds the agencies and units, read from storage at most
// once a minute: forms offer them as choices, and the services check every
// choice again when it is submitted.
type directoryCache struct {
	mu       sync.Mutex
	agencies []caseflow.Agency
	units    []caseflow.Unit
	loaded   time.Time
}

// Directory lists the agencies and units of today, for the choices of
// forms: a unit or agency that has ended is never offered.
func (s *Service) Directory(ctx context.Context) ([]caseflow.Agency, []caseflow.Unit, error) {
	d := &s.directory
	d.mu.Lock()
	defer d.mu.Unlock()
	now := s.now()
	if d.units != nil && now.Sub(d.loaded) < time.Minute && caseflow.Day(now).Equal(caseflow.Day(d.loaded)) {
		return d.agencies, d.units, nil
	}
	agencies, units, err := s.store.Directory(ctx)
	if err != nil {
		if d.units != nil {
			return d.agencies, d.units, nil // stale choices beat none
		}
		return nil, nil, err
	}
	d.agencies, d.units = nil, nil
	for _, a := range agencies {
		if a.ActsOn(now) {
			d.agencies = append(d.agencies, a)
		}
	}
	for _, u := range units {
		if u.ValidOn(now) {
			d.units = append(d.units, u)
		}
	}
	d.loaded = now
	return d.agencies, d.units, nil
}

// Summary returns the case without personal data, with the viewer's access,
// for building the forms of the steps the viewer may take.
func (s *Service) Summary(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Case, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	return s.store.CaseSummary(ctx, v, code)
}
