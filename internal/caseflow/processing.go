package caseflow

import "time"

// Processing is the legal basis on which a case's personal data is
// processed, and the consents the law asks for (Law 91/2025/QH15 Điều 19,
// 24; docs/privacy.md). A case with none recorded is processed under the
// legal obligation of reporting and protection.
type Processing struct {
	LegalBasis string // ProcessingLegalObligation or ProcessingConsent
	// ChildConsent and GuardianConsent: "" (not recorded), ConsentGiven,
	// ConsentRefused or ConsentNotRequired.
	ChildConsent    string
	GuardianConsent string
	// RepresentativeIsSuspect: the child's legal representative is the
	// suspected abuser; consent and notices then come from another
	// representative or the competent body, named in ConsentNote.
	RepresentativeIsSuspect bool
	ConsentNote             string
	Recorded                bool
	UpdatedAt               time.Time
	UpdatedBy               string
}

// The legal bases and consent answers.
const (
	ProcessingLegalObligation = "legal_obligation"
	ProcessingConsent         = "consent"
	ConsentGiven              = "given"
	ConsentRefused            = "refused"
	ConsentNotRequired        = "not_required"
)

var (
	// LegalBases are the legal bases a case may record.
	LegalBases = []string{ProcessingLegalObligation, ProcessingConsent}
	// ConsentAnswers are the answers a consent may record ("" for none).
	ConsentAnswers = []string{"", ConsentGiven, ConsentRefused, ConsentNotRequired}
)

// ConsentAge is the age from which a child's own consent is asked (Law
// 91/2025 Điều 24, with Law on Children Điều 33).
const ConsentAge = 7

// Validate checks a processing record against the case's children's ages:
// processing on consent needs the guardian's (or, when the representative
// is the suspect, another's, named) and that of every child aged 7 or more.
func (p Processing) Validate(childAges []int) error {
	fe := FieldErrors{}
	if !oneOf(p.LegalBasis, LegalBases) {
		fe.Add("legal_basis", notOneOf("must be one of ", LegalBases))
	}
	if !oneOf(p.ChildConsent, ConsentAnswers) {
		fe.Add("child_consent", notOneOf("must be one of ", ConsentAnswers[1:]))
	}
	if !oneOf(p.GuardianConsent, ConsentAnswers) {
		fe.Add("guardian_consent", notOneOf("must be one of ", ConsentAnswers[1:]))
	}
	if !IsText(p.ConsentNote) {
		fe.Add("consent_note", NotText())
	} else if len(p.ConsentNote) > MaxNote {
		fe.Add("consent_note", FieldError{Code: FieldTooLong, Message: "is longer than 8 KiB", Max: MaxNote})
	}
	if p.LegalBasis == ProcessingConsent {
		if p.GuardianConsent == "" {
			fe.Add("guardian_consent", FieldError{Code: FieldRequired, Message: "processing on consent needs the representative's answer"})
		}
		older := false
		for _, a := range childAges {
			older = older || a >= ConsentAge
		}
		if older && (p.ChildConsent == "" || p.ChildConsent == ConsentNotRequired) {
			fe.Add("child_consent", FieldError{Code: FieldRequired, Message: "a child aged 7 or more gives their own consent"})
		}
	}
	if p.RepresentativeIsSuspect && p.GuardianConsent == ConsentGiven && Blank(p.ConsentNote) {
		fe.Add("consent_note", FieldError{Code: FieldRequired,
			Message: "the representative is the suspect: name the other representative or the competent body who consented"})
	}
	return fe.Err()
}
