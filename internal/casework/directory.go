package casework

import (
	"context"
	"slices"
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

// unitCache keeps the units of each code read lately: every intake names
// its commune, and the units change only when a structure is loaded.
type unitCache struct {
	mu     sync.Mutex
	byCode map[string][]caseflow.Unit
	loaded time.Time
}

// unitsByCode returns every unit that has had the code, as the store has
// them, read again at most a minute later.
func (s *Service) unitsByCode(ctx context.Context, code string) ([]caseflow.Unit, error) {
	c := &s.units
	now := s.now()
	c.mu.Lock()
	if now.Sub(c.loaded) >= time.Minute || now.Before(c.loaded) {
		c.byCode, c.loaded = map[string][]caseflow.Unit{}, now
	}
	us, ok := c.byCode[code]
	c.mu.Unlock()
	if ok {
		return us, nil
	}
	us, err := s.store.UnitsByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.byCode) < 10_000 {
		c.byCode[code] = us
	}
	c.mu.Unlock()
	return us, nil
}

// Summary returns the case without personal data, with the viewer's access,
// for building the forms of the steps the viewer may take.
func (s *Service) Summary(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Case, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	return s.store.CaseSummary(ctx, v, code)
}

// UnitsOn lists the units that exist on the day of on (zero: today), of one
// level or all, for pickers and clients that keep a list of communes.
func (s *Service) UnitsOn(ctx context.Context, v caseflow.Viewer, on time.Time, level string) ([]caseflow.Unit, error) {
	if v.UserID == 0 {
		return nil, caseflow.Errorf(caseflow.EUnauthorized, "log in first")
	}
	if level != "" && !slices.Contains(caseflow.UnitLevels, level) {
		return nil, caseflow.InvalidField("level", caseflow.FieldError{Code: caseflow.FieldNotOneOf, Message: "is not a unit level",
			Allowed: caseflow.UnitLevels})
	}
	if on.IsZero() {
		on = s.now()
	}
	_, all, err := s.store.Directory(ctx)
	if err != nil {
		return nil, err
	}
	out := []caseflow.Unit{}
	for _, u := range all {
		if u.ValidOn(on) && (level == "" || u.Level == level) {
			out = append(out, u)
		}
	}
	return out, nil
}
