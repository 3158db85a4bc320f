package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/looplab/fsm"

	"caseflow/internal/caseflow"
)

// Transition is what firing an event does to a case; the caller records it,
// its history row and its clocks in one transaction.
type Transition struct {
	From  string
	To    string
	Event *Event
	// Data is the event's data, checked and normalised (strings; bools;
	// int64; dates as YYYY-MM-DD; datetimes as RFC 3339 in UTC), with the
	// event's Set values added.
	Data map[string]any
	// Refer is the agency type that gains access to the case, or "".
	Refer caseflow.AgencyType
	// Release lists the agency types whose access to the case ends.
	Release []caseflow.AgencyType
	// StartClocks are the clocks this event starts: those whose start list
	// has the event and whose condition matches Data. What starting a clock
	// that is already running means is the clock store's decision.
	StartClocks []*Clock
	// StopClocks are the clocks this event stops; entering a final state
	// stops every clock.
	StopClocks []*Clock
}

// Fire checks that role may fire event on a case in state with data, and
// returns the transition. An unknown event, or one that cannot fire from
// state, is an EInvalid error naming "event"; a role that may not fire it is
// EForbidden; bad data is EInvalid naming each field as "data.<name>". A
// state the definition does not know is an internal error.
func (d *Definition) Fire(state, event string, role caseflow.Role, data map[string]any) (*Transition, error) {
	return d.FireIn(Context{State: state}, event, role, data)
}

// FireIn is Fire on a case known by more than its state: the event's
// guards (once, after, unless) are checked against the events already
// recorded, right after the state and before the role (an EInvalid error
// naming "event"); past-only dates against cx.Now; and the clocks to start
// against the case's facts and Unless lists.
func (d *Definition) FireIn(cx Context, event string, role caseflow.Role, data map[string]any) (*Transition, error) {
	state := cx.State
	if _, ok := d.states[state]; !ok {
		return nil, fmt.Errorf("workflow %s v%d: unknown state %q", d.ID, d.Version, state)
	}
	ev, ok := d.events[event]
	if !ok {
		return nil, &caseflow.Error{Code: caseflow.EInvalid, Message: fmt.Sprintf("unknown event %q", event),
			Fields: map[string]caseflow.FieldError{"event": {Code: caseflow.FieldNotFound, Message: "unknown event"}}}
	}

	var clean map[string]any
	// The machine is built from the stored state on every call and never
	// shared. Its guard runs in before_event, after looplab/fsm has checked
	// that the event can fire from state, so the errors come in the order
	// the API promises: event, then role, then data.
	m := fsm.NewFSM(state, d.fsmEvents, fsm.Callbacks{
		"before_event": func(_ context.Context, e *fsm.Event) {
			if g := ev.Guard(cx); g != nil {
				e.Cancel(&caseflow.Error{Code: caseflow.EInvalid, Message: fmt.Sprintf("event %q %s", ev.ID, g.Message),
					Fields: map[string]caseflow.FieldError{"event": *g}})
				return
			}
			if !ev.Allows(role) {
				e.Cancel(caseflow.Errorf(caseflow.EForbidden, "role %q may not fire event %q", role, ev.ID))
				return
			}
			out, errs := ev.checkData(data)
			ev.checkPast(out, cx.Now, errs)
			if err := errs.Err(); err != nil {
				e.Cancel(err)
				return
			}
			clean = out
		},
	})
	if err := m.Event(context.Background(), event); err != nil {
		var stayed fsm.NoTransitionError
		if !errors.As(err, &stayed) || stayed.Err != nil {
			return nil, fireError(err, state, event)
		}
	}

	t := &Transition{
		From:    state,
		To:      m.Current(),
		Event:   ev,
		Data:    clean,
		Refer:   ev.Refer,
		Release: slices.Clone(ev.Release),
	}
	final := d.states[t.To].Final
	for _, c := range d.Clocks {
		if final || (slices.Contains(c.Stop, event) && c.StopsOn(clean)) {
			t.StopClocks = append(t.StopClocks, c)
		}
		if !final && slices.Contains(c.Start, event) && c.StartsIn(cx, clean) {
			t.StartClocks = append(t.StartClocks, c)
		}
	}
	return t, nil
}

// fireError turns what looplab/fsm returned into the errors Fire promises.
func fireError(err error, state, event string) error {
	var ce *caseflow.Error
	if errors.As(err, &ce) {
		return ce
	}
	var invalid fsm.InvalidEventError
	var unknown fsm.UnknownEventError
	if errors.As(err, &invalid) || errors.As(err, &unknown) {
		return &caseflow.Error{Code: caseflow.EInvalid,
			Message: fmt.Sprintf("event %q cannot be fired in state %q", event, state),
			Fields: map[string]caseflow.FieldError{"event": {Code: caseflow.FieldWrongState, Message: fmt.Sprintf("cannot be fired in state %q", state),
				Value: state}}}
	}
	return fmt.Errorf("workflow: fire %q in state %q: %w", event, state, err)
}

// Available returns the events role may fire on a case in state, in the
// order of the definition; the user interface offers these.
func (d *Definition) Available(state string, role caseflow.Role) []*Event {
	return d.AvailableIn(Context{State: state}, role)
}

// AvailableIn is Available with the event guards checked against what the
// case has recorded: a one-time step already done, or a step whose
// prerequisite has not happened, is not offered.
func (d *Definition) AvailableIn(cx Context, role caseflow.Role) []*Event {
	var out []*Event
	for _, e := range d.Events {
		if e.FiresFrom(cx.State) && e.Allows(role) && e.Guard(cx) == nil {
			out = append(out, e)
		}
	}
	return out
}
