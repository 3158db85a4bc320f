// Package calendar owns the statutory clock of the case workflow: it turns a
// start time and a legal time limit (hours, calendar days, months or working
// days) into the instant the limit expires, using the counting rules of
// Article 134 of the Criminal Procedure Code 2015 and the Vietnamese
// calendar of weekends and public holidays.
//
// All date reasoning happens in Asia/Ho_Chi_Minh time, because a limit that
// "ends at 24:00" ends at midnight where the case is handled, not where the
// server runs. Instants are returned in UTC so that they store and compare
// the same way everywhere else in the system.
//
// Which limit applies to a case (for example by category of harm) is decided
// by the caller; this package only counts.
package calendar
