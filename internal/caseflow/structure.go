package caseflow

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The rules of administrative structures over time: which unit a report
// may name on a day, what a former unit became, and which agency serves a
// case. Storage finds the facts (units, successions, jurisdiction rows);
// the decisions are made here.

// DateText writes a day as the API's messages do ("30 November 2024").
func DateText(t time.Time) string { return Day(t).Format("2 January 2006") }

// UnitOnDay checks that a report received at received names a commune as it
// existed then. units are every unit with the code the report names;
// becameOf returns, for one of them, the units it became on the day received
// (following its successions); formedOf the units of that day it was formed
// from. The error names what to name instead.
func UnitOnDay(code string, received time.Time, units []Unit, becameOf func(Unit) []Unit, formedOf func(Unit) []Unit) (Unit, error) {
	for _, u := range units {
		if u.ValidOn(received) && u.Level == LevelCommune {
			return u, nil
		}
	}
	if len(units) == 0 {
		return Unit{}, FieldErrors{"commune_code": {Code: FieldNotFound, Message: "is not the code of a known commune"}}.Err()
	}
	day := Day(received)
	// The unit of that code closest before the day: it has ended.
	var ended, later *Unit
	for i := range units {
		u := &units[i]
		if u.Level != LevelCommune {
			continue
		}
		if u.ValidTo != nil && Day(*u.ValidTo).Before(day) && (ended == nil || u.ValidTo.After(*ended.ValidTo)) {
			ended = u
		}
		if Day(u.ValidFrom).After(day) && (later == nil || u.ValidFrom.Before(later.ValidFrom)) {
			later = u
		}
	}
	switch {
	case ended != nil:
		became := becameOf(*ended)
		msg := fmt.Sprintf("%s (%s) ended on %s", ended.Name, ended.Code, DateText(*ended.ValidTo))
		if len(became) == 0 {
			msg += "; what it became is not established in the loaded data: name the commune where the abuse happened as it was on " + DateText(day)
		} else {
			msg += "; on " + DateText(day) + " it is part of " + unitList(became)
		}
		return Unit{}, FieldErrors{"commune_code": {Code: FieldUnitEnded, Message: msg, Allowed: codes(became), Value: ended.Code}}.Err()
	case later != nil:
		formed := formedOf(*later)
		msg := fmt.Sprintf("%s (%s) exists since %s", later.Name, later.Code, DateText(later.ValidFrom))
		if len(formed) > 0 {
			msg += "; on " + DateText(day) + " the commune was one of " + unitList(formed)
		}
		return Unit{}, FieldErrors{"commune_code": {Code: FieldUnitNotYet, Message: msg, Allowed: codes(formed), Value: later.Code}}.Err()
	}
	return Unit{}, FieldErrors{"commune_code": {Code: FieldNotFound, Message: "is not the code of a known commune"}}.Err()
}

func unitList(us []Unit) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = fmt.Sprintf("%s (%s)", u.Name, u.Code)
	}
	return strings.Join(parts, ", ")
}

func codes(us []Unit) []string {
	out := make([]string, 0, len(us))
	for _, u := range us {
		out = append(out, u.Code)
	}
	sort.Strings(out)
	return out
}

// JurisdictionCandidate is an agency the jurisdiction table offers for a
// case's commune: a row valid on the day, on the commune or a unit above it.
type JurisdictionCandidate struct {
	AgencyID int64
	Code     string
	Primary  bool
	// Depth is how far below the province the row's unit is: a row on the
	// commune itself is more specific than one on the province.
	Depth int
}

// ChooseAgency picks the agency of type t that serves a case whose commune,
// on the day of the step, is where (a description such as "Xã Như Quỳnh
// (12004), structure 2025, on 2 December 2026"). An explicit code must be one
// of the candidates; otherwise the most specific primary row decides. No
// primary row is an error naming the missing jurisdiction, never a fallback.
func ChooseAgency(t AgencyType, where string, cands []JurisdictionCandidate, code string) (int64, error) {
	if code != "" {
		allowed := make([]string, 0, len(cands))
		for _, c := range cands {
			if c.Code == code {
				return c.AgencyID, nil
			}
			allowed = append(allowed, c.Code)
		}
		sort.Strings(allowed)
		return 0, FieldErrors{"agency_code": {Code: FieldNoJurisdiction, Allowed: allowed, Value: code,
			Message: fmt.Sprintf("is not a %s agency that serves %s", t, where)}}.Err()
	}
	best := -1
	for i, c := range cands {
		if c.Primary && (best < 0 || c.Depth > cands[best].Depth || (c.Depth == cands[best].Depth && c.AgencyID < cands[best].AgencyID)) {
			best = i
		}
	}
	if best < 0 {
		return 0, FieldErrors{"jurisdiction": {Code: FieldMissingJurisdiction, Value: string(t),
			Message: fmt.Sprintf("the jurisdiction table names no %s for %s: an administrator adds the row (POST /jurisdiction)", t, where)}}.Err()
	}
	return cands[best].AgencyID, nil
}

// RemapReport is what a change of structure does to the open cases of the
// units that ended: for each, the unit its commune is now part of, and the
// agencies that take over its access and its running clocks from agencies
// that no longer act.
type RemapReport struct {
	On      time.Time
	Applied bool
	Cases   []RemapCase
}

// RemapCase is one open case of a former commune.
type RemapCase struct {
	Code    string
	State   string
	Commune Unit  // as filed
	Today   *Unit // the unit it is part of on the day; nil when not established
	// Split says the commune was divided and the case follows its main part.
	Split, SplitVerified bool
	Moves                []RemapMove
	// Problems are what a person must settle: a successor or a
	// jurisdiction row the data does not give.
	Problems []string
}

// RemapMove hands one access grant or one clock from an agency that no
// longer acts to the one that serves the commune today.
type RemapMove struct {
	Kind  string // access or clock
	What  string // the access scope, or the clock's id
	Type  AgencyType
	From  string // agency code
	To    string // agency code
	Clock int64
}
