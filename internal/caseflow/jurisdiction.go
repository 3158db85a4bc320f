package caseflow

import "time"

// JurisdictionRow is one row of the jurisdiction table: agency serves, for
// agency type Type, the communes under Unit in one structure, over a span
// of days. The most specific primary row valid on a day decides; a row
// that is not primary is an agency a user may name explicitly.
type JurisdictionRow struct {
	ID          int64
	Structure   string
	Unit        Unit
	Type        AgencyType
	Agency      Agency
	Primary     bool
	Verified    bool
	ValidFrom   time.Time
	ValidTo     *time.Time
	Source      string
	Origin      string // seed or admin
	WithdrawnAt *time.Time
	UpdatedAt   time.Time
}

// JurisdictionFilter narrows a listing of the table; empty fields match all.
type JurisdictionFilter struct {
	Structure string
	UnitCode  string
	Type      AgencyType
	// On keeps the rows valid on that day (zero: every row).
	On time.Time
	// Unverified keeps the rows no source confirms.
	Unverified bool
	// Withdrawn includes withdrawn rows.
	Withdrawn bool
}

// NewJurisdiction is a row an administrator adds. A primary row takes the
// place of the primary rows of the same unit and type that overlap it: they
// end the day before it starts, or are withdrawn if they start no earlier.
type NewJurisdiction struct {
	Structure  string
	UnitCode   string
	Type       AgencyType
	AgencyCode string
	Primary    bool
	Verified   bool
	ValidFrom  time.Time
	ValidTo    *time.Time
	Source     string
}

// JurisdictionEdit changes a row: nil fields stay. Only the facts about the
// row's evidence and its end may change; a different agency, unit or start
// is a new row.
type JurisdictionEdit struct {
	Verified *bool
	Source   *string
	ValidTo  *time.Time
	// ClearValidTo makes the row open-ended again.
	ClearValidTo bool
}
