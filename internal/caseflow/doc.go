// Package caseflow holds the domain of the service: cases, the people in
// them, users, roles, agencies, administrative units, the timers of
// deadline clocks and the closed set of error codes. It imports no
// framework and nothing else of this module, so every other package can
// depend on it.
package caseflow
