package caseflow

import (
	"strings"
	"time"
)

// DataBreach is a suspected breach of personal data, with the fields of the
// notice to the specialised agency, which is due within 72 hours of
// detection (Decree 356/2025/NĐ-CP; a secondary source, docs/privacy.md).
type DataBreach struct {
	ID                 int64
	DetectedAt         time.Time
	RecordedAt         time.Time
	RecordedBy         string
	Description        string
	DataCategories     []string
	SubjectsEstimate   *int
	RecordsEstimate    *int
	Consequences       string
	Measures           string
	Contact            string
	NotifyDueAt        time.Time
	NotifiedAt         *time.Time
	NotifiedBy         string
	AuthorityReference string
	Reminded           int
}

// BreachNoticeWithin is how long after detection the notice is due.
const BreachNoticeWithin = 72 * time.Hour

// BreachReminders are the points after detection at which the supervisors
// are reminded of a notice not yet sent: after a day, after two, six hours
// before it is due, and when it is overdue.
var BreachReminders = []time.Duration{24 * time.Hour, 48 * time.Hour, 66 * time.Hour, BreachNoticeWithin}

// BreachReminderDue is how many reminders of a breach detected at detected
// are due at now.
func BreachReminderDue(detected, now time.Time) int {
	n := 0
	for _, d := range BreachReminders {
		if !now.Before(detected.Add(d)) {
			n++
		}
	}
	return n
}

// DataCategories are the kinds of personal data a breach may concern.
var DataCategories = []string{"identity", "contact", "health", "sexual_life", "criminal_matters", "case_narrative", "staff_accounts"}

// Validate checks a breach as recorded at now.
func (b *DataBreach) Validate(now time.Time) error {
	fe := FieldErrors{}
	switch {
	case b.DetectedAt.IsZero():
		fe.Add("detected_at", FieldError{Code: FieldRequired, Message: "is required (RFC 3339 time)"})
	case b.DetectedAt.After(now.Add(5 * time.Minute)):
		fe.Add("detected_at", FieldError{Code: FieldInFuture, Message: "is in the future"})
	}
	b.Description = strings.TrimSpace(b.Description)
	if Blank(b.Description) {
		fe.Add("description", FieldError{Code: FieldRequired, Message: "say what happened"})
	}
	for name, v := range map[string]string{"description": b.Description, "consequences": b.Consequences, "measures": b.Measures} {
		if len(v) > MaxNote {
			fe.Add(name, FieldError{Code: FieldTooLong, Message: "is longer than 8 KiB", Max: MaxNote})
		}
	}
	if len(b.Contact) > maxTextField {
		fe.Add("contact", FieldError{Code: FieldTooLong, Message: "is longer than 200 bytes", Max: maxTextField})
	}
	for _, c := range b.DataCategories {
		if !oneOf(c, DataCategories) {
			fe.Add("data_categories", notOneOf("must be among ", DataCategories))
			break
		}
	}
	for name, n := range map[string]*int{"subjects_estimate": b.SubjectsEstimate, "records_estimate": b.RecordsEstimate} {
		if n != nil && *n < 0 {
			fe.Add(name, FieldError{Code: FieldOutOfRange, Message: "must be 0 or more", Min: 0})
		}
	}
	return fe.Err()
}
