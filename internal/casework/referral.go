package casework

import (
	"context"
	"slices"
	"strings"

	"caseflow/internal/caseflow"
)

// retries is how often a referral action retries when the case changed
// under it: referral actions carry no case version, so a concurrent
// transition is not the caller's mistake.
const retries = 3

// Refer refers a support service for the case's child to an agency. It can
// be done at any stage; the provider gets access to what the service needs.
func (s *Service) Refer(ctx context.Context, v caseflow.Viewer, code, service, agencyCode, note string) (*caseflow.Referral, error) {
	fe := caseflow.FieldErrors{}
	types, ok := caseflow.Services[service]
	if !ok {
		names := make([]string, 0, len(caseflow.Services))
		for k := range caseflow.Services {
			names = append(names, k)
		}
		slices.Sort(names)
		fe.Add("service", caseflow.FieldError{Code: caseflow.FieldNotOneOf, Message: "must be one of " + strings.Join(names, ", "), Allowed: names})
	}
	if agencyCode == "" {
		fe.Add("agency_code", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required"})
	}
	if len(note) > caseflow.MaxNote {
		fe.Add("note", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "is longer than 8 KiB", Max: caseflow.MaxNote})
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	agency, err := s.store.AgencyByCode(ctx, agencyCode)
	if caseflow.ErrorCode(err) == caseflow.ENotFound {
		return nil, caseflow.InvalidField("agency_code", caseflow.FieldError{Code: caseflow.FieldNotFound, Message: "no such agency"})
	}
	if err != nil {
		return nil, err
	}
	if !slices.Contains(types, agency.Type) {
		return nil, caseflow.InvalidField("agency_code", caseflow.FieldError{Code: caseflow.FieldDoesNotProvide,
			Message: "this agency does not provide " + service, Value: service})
	}
	id, err := s.store.NextReferralID(ctx)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"referral_id": itoa(id), "service": service, "agency": string(agency.Type)}
	if note != "" {
		data["note"] = note
	}
	err = s.withRetry(ctx, v, code, func(c *caseflow.Case) (*caseflow.Change, error) {
		event, err := s.referralEvent(c, caseflow.EventServiceReferral)
		if err != nil {
			return nil, err
		}
		ch, err := s.change(ctx, c, v, event, data)
		if err != nil {
			return nil, err
		}
		// The clock answers to the agency actually chosen.
		for i := range ch.StartClocks {
			ch.StartClocks[i].ResponsibleAgency = agency.ID
		}
		ch.NewReferral = &caseflow.Referral{ID: id, Service: service, Agency: *agency, Note: note}
		return ch, nil
	})
	if err != nil {
		return nil, err
	}
	return s.store.Referral(ctx, v, id)
}

// withRetry loads the case, builds a change on its current version and
// applies it, retrying when another change won the race.
func (s *Service) withRetry(ctx context.Context, v caseflow.Viewer, code string, build func(*caseflow.Case) (*caseflow.Change, error)) error {
	if err := readsCases(v); err != nil {
		return err
	}
	var err error
	for i := 0; i < retries; i++ {
		var c *caseflow.Case
		if c, err = s.store.CaseSummary(ctx, v, code); err != nil {
			return err
		}
		if c.Access == caseflow.AccessSummary {
			return caseflow.Errorf(caseflow.EForbidden, "you may follow this case but not act on it")
		}
		var ch *caseflow.Change
		if ch, err = build(c); err != nil {
			return err
		}
		if err = s.store.ApplyTransition(ctx, v, ch); caseflow.ErrorCode(err) != caseflow.EConflict {
			return err
		}
	}
	return err
}

// RespondReferral lets the receiving agency accept or decline a referral,
// or mark an accepted one done. Declining or finishing ends the provider's
// access through the referral.
func (s *Service) RespondReferral(ctx context.Context, v caseflow.Viewer, id int64, action, note string) (*caseflow.Referral, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	r, err := s.store.Referral(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if r.Agency.ID != v.Agency.ID {
		return nil, caseflow.Errorf(caseflow.EForbidden, "only the agency the referral was sent to may answer it")
	}
	switch action {
	case "done":
		if err := s.store.FinishReferral(ctx, v, id, note); err != nil {
			return nil, err
		}
		// The provider's access through the referral has ended (it may
		// still see the case through another one).
		if done, err := s.store.Referral(ctx, v, id); err == nil {
			return done, nil
		}
		r.Status = caseflow.ReferralDone
		return r, nil
	case "accept", "decline":
	default:
		return nil, caseflow.Errorf(caseflow.ENotFound, "no such referral action")
	}
	if r.Status != caseflow.ReferralPending {
		return nil, &caseflow.Error{Code: caseflow.EInvalid, Message: "the referral has already been answered",
			Fields: map[string]caseflow.FieldError{"status": {Code: caseflow.FieldWrongState, Message: "is " + r.Status, Value: r.Status,
				Allowed: []string{caseflow.ReferralPending}}}}
	}
	role, status := caseflow.EventServiceReferralAccepted, caseflow.ReferralAccepted
	data := map[string]any{"referral_id": itoa(id)}
	if action == "decline" {
		role, status = caseflow.EventServiceReferralDeclined, caseflow.ReferralDeclined
		if caseflow.Blank(note) {
			return nil, caseflow.InvalidField("note", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "a reason is required to decline"})
		}
		data["reason"] = note
	}
	err = s.withRetry(ctx, v, r.CaseCode, func(c *caseflow.Case) (*caseflow.Change, error) {
		event, err := s.referralEvent(c, role)
		if err != nil {
			return nil, err
		}
		ch, err := s.change(ctx, c, v, event, data)
		if err != nil {
			return nil, err
		}
		ch.ReferralID, ch.ReferralStatus, ch.RevokeReferral = id, status, action == "decline"
		return ch, nil
	})
	if err != nil {
		return nil, err
	}
	if action == "decline" {
		// The provider no longer sees the case; answer with what it sent.
		r.Status = status
		return r, nil
	}
	return s.store.Referral(ctx, v, id)
}

// Referrals lists a case's service referrals.
func (s *Service) Referrals(ctx context.Context, v caseflow.Viewer, code string) ([]*caseflow.Referral, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	return s.store.Referrals(ctx, v, code)
}

// Reads lists who read the personal data of a case, newest first: for the
// agency that filed it and for supervisors.
func (s *Service) Reads(ctx context.Context, v caseflow.Viewer, code string) ([]caseflow.Read, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	return s.store.CaseReads(ctx, v, code, 100)
}

// History lists a case's recorded transitions and clock events.
func (s *Service) History(ctx context.Context, v caseflow.Viewer, code string) ([]caseflow.HistoryEntry, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	return s.store.History(ctx, v, code)
}
