// Package catalog owns the Vietnamese and English labels of the domain's
// enumerations (abuse types, channels, settings, sexes, age groups, roles,
// agency types, access levels, clock, notification and referral statuses,
// services, …) and of the compliance indicators and their verdicts. The web
// interface, the CSV/XLSX reports and the API read them here, so that one
// value has one label wherever it is shown. Workflow states, events, clocks
// and fields carry their labels in their workflow file.
package catalog
