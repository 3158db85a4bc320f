package caseflow

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SubjectRequest is a request by a child's representative about the
// child's personal data, with its deadlines counted in working days from
// the request.
type SubjectRequest struct {
	ID               int64
	CaseCode         string
	Kind             string
	RequestedAt      time.Time
	RecordedBy       string
	Requester        string // who asked (sealed)
	Details          string // what they asked (sealed)
	AcknowledgeDueAt time.Time
	RespondDueAt     time.Time
	Decision         string // "", GrantApproved or GrantRefused
	DecidedAt        *time.Time
	DecidedBy        string
	RefusalReason    string
	ExportedAt       *time.Time
}

// The kinds of subject request.
var SubjectRequestKinds = []string{"access", "correction", "restriction", "objection", "erasure"}

// SubjectRequestDays are the working days to acknowledge a request and to
// answer each kind. The defaults are read from secondary sources on Decree
// 356/2025 (legal-review §5.2, W): the province sets its own in
// SUBJECT_REQUEST_DAYS.
type SubjectRequestDays map[string]int

// DefaultSubjectRequestDays are the days used when none are configured.
func DefaultSubjectRequestDays() SubjectRequestDays {
	return SubjectRequestDays{"acknowledge": 2, "access": 10, "correction": 10, "restriction": 15, "objection": 15, "erasure": 20}
}

// ParseSubjectRequestDays reads days written name=days,… over the
// defaults; names are acknowledge and the kinds.
func ParseSubjectRequestDays(s string) (SubjectRequestDays, error) {
	out := DefaultSubjectRequestDays()
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if _, known := out[k]; !ok || !known {
			return nil, fmt.Errorf("%q is not name=days with name acknowledge, %s", part, strings.Join(SubjectRequestKinds, ", "))
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 90 {
			return nil, fmt.Errorf("%s: %q must be 1 to 90 working days", k, v)
		}
		out[k] = n
	}
	return out, nil
}

// Validate checks a request as recorded at now.
func (r *SubjectRequest) Validate(now time.Time) error {
	fe := FieldErrors{}
	if !slices.Contains(SubjectRequestKinds, r.Kind) {
		fe.Add("kind", notOneOf("must be one of ", SubjectRequestKinds))
	}
	switch {
	case r.RequestedAt.IsZero():
		fe.Add("requested_at", FieldError{Code: FieldRequired, Message: "is required (RFC 3339 time)"})
	case r.RequestedAt.After(now.Add(5 * time.Minute)):
		fe.Add("requested_at", FieldError{Code: FieldInFuture, Message: "is in the future"})
	}
	r.Requester, r.Details = strings.TrimSpace(r.Requester), strings.TrimSpace(r.Details)
	if Blank(r.Requester) {
		fe.Add("requester", FieldError{Code: FieldRequired, Message: "who asked: the child's representative"})
	} else if len(r.Requester) > maxTextField {
		fe.Add("requester", FieldError{Code: FieldTooLong, Message: "is longer than 200 bytes", Max: maxTextField})
	}
	if len(r.Details) > MaxNote {
		fe.Add("details", FieldError{Code: FieldTooLong, Message: "is longer than 8 KiB", Max: MaxNote})
	}
	return fe.Err()
}
