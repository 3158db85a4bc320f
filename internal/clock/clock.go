// Package clock is the one place the service reads the wall clock. Every
// service, storage method and handler takes its time from an injected
// function (a Now field or parameter) that defaults to Now here, so tests
// can move time and nothing computes a deadline from the machine's clock
// behind their back.
package clock

import "time"

// Now returns the current time; it is the default time source.
func Now() time.Time { return time.Now() }

// Since returns the time elapsed since t, by Now; for measuring durations.
func Since(t time.Time) time.Duration { return Now().Sub(t) }
