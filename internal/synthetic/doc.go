// Package synthetic makes fictional cases with plausible histories, for
// demos and for measuring the compliance queries at scale. It owns the
// stories: which events happen to a case, when, with what data, and what
// that does to its clocks and access. It plays them on a loaded workflow
// definition — the definition's own events and clocks, its transitions and
// its limits on the legal calendar, as internal/casework applies them — and
// chooses by what events and clocks mean (their roles), never by their ids,
// so any version of the workflow, renamed or not, plays. Storage writes the
// rows (Store; *postgres.DB is one) with COPY in batches, several at once,
// each in its own transaction: a run is not atomic, so use a database of
// its own.
//
// What is simplified, and why:
//   - People: one child per case (two in about one case in seven), with a sex
//     and an age; the name is one of a small pool of fictional names sealed
//     once and reused (sealing a million names would dominate the run), and
//     no date of birth, suspect or reporter is written.
//   - Free-text event fields (reasons, notes, measures) are left out: only
//     the structured values the service stores in plain are written.
//   - Service referrals (the events the referrals endpoints fire),
//     notifications and outbox timers are not written. Clocks already past
//     due are written as breached; the worker's sweep picks up the running
//     ones when they fall due.
package synthetic
