// Package workflow owns the case workflow as data: it loads the versioned
// definitions in workflows/ (states, events, the roles that may fire each
// event, the fields each event carries, and the statutory deadline clocks),
// validates them when they are loaded, and fires events against a case's
// state with looplab/fsm.
//
// A definition is immutable once loaded. Firing an event never touches
// storage: Fire checks the event, the caller's role and the event's data, and
// returns a Transition saying where the case goes, which agencies gain or lose
// access, and which clocks start and stop. The caller records all of that in
// one transaction.
package workflow
