package casework

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"caseflow/internal/caseflow"
)

// Holidays lists the public holidays the legal calendar skips.
func (s *Service) Holidays(ctx context.Context) ([]caseflow.Holiday, error) {
	return s.store.Holidays(ctx)
}

// The rule of a holiday's name.
const (
	maxHolidayName  = 200
	holidayNameRule = "is required (at most 200 bytes)"
)

// PutHoliday adds or changes a day of the legal calendar (administrators
// only): a public holiday or swapped day off on a working day, or, with
// Working, a Saturday or Sunday that a swap makes a working day. Clocks
// started from now on use the new calendar; due times already set stay.
func (s *Service) PutHoliday(ctx context.Context, v caseflow.Viewer, h caseflow.Holiday) error {
	if v.Role != caseflow.RoleAdmin {
		return caseflow.Errorf(caseflow.EForbidden, "only administrators edit public holidays")
	}
	day, name := h.Date, strings.TrimSpace(h.Name)
	weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
	switch {
	case h.Working && !weekend:
		return caseflow.InvalidField("working", caseflow.FieldError{Code: caseflow.FieldNotOneOf, Value: day.Weekday().String(),
			Message: "only a Saturday or a Sunday can be made a working day"})
	case !h.Working && weekend:
		return caseflow.InvalidField("date", caseflow.FieldError{Code: caseflow.FieldNotOneOf, Value: day.Weekday().String(),
			Message: "falls on a weekend, which is already a day off: enter the working day given off instead"})
	}
	src := strings.TrimSpace(h.Source)
	if len(src) > maxHolidayName*2 || strings.ContainsFunc(src, unicode.IsControl) {
		return caseflow.InvalidField("source", caseflow.FieldError{Code: caseflow.FieldTooLong, Max: maxHolidayName * 2,
			Message: "must be one line of at most 400 bytes"})
	}
	if name == "" {
		return caseflow.InvalidField("name", caseflow.FieldError{Code: caseflow.FieldRequired, Message: holidayNameRule})
	}
	if len(name) > maxHolidayName {
		return caseflow.InvalidField("name", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: holidayNameRule, Max: maxHolidayName})
	}
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	if err := s.store.PutHoliday(ctx, v, caseflow.Holiday{Date: day, Name: name, Working: h.Working, Source: src}); err != nil {
		return err
	}
	s.ForgetCalendar()
	return nil
}

// DeleteHoliday removes a public holiday (administrators only).
func (s *Service) DeleteHoliday(ctx context.Context, v caseflow.Viewer, day time.Time) error {
	if v.Role != caseflow.RoleAdmin {
		return caseflow.Errorf(caseflow.EForbidden, "only administrators edit public holidays")
	}
	if err := s.store.DeleteHoliday(ctx, v, day); err != nil {
		return err
	}
	s.ForgetCalendar()
	return nil
}

// Notifications lists the viewer's notifications with the number unread.
func (s *Service) Notifications(ctx context.Context, v caseflow.Viewer, limit int) ([]caseflow.Notification, int64, error) {
	return s.store.Notifications(ctx, v, limit)
}

// CaseNotifications lists the viewer's notifications about one case.
func (s *Service) CaseNotifications(ctx context.Context, v caseflow.Viewer, code string) ([]caseflow.Notification, error) {
	return s.store.CaseNotifications(ctx, v, code)
}

// UnreadNotifications counts the viewer's unread notifications.
func (s *Service) UnreadNotifications(ctx context.Context, v caseflow.Viewer) (int64, error) {
	return s.store.UnreadNotifications(ctx, v)
}

// MaxAckNote bounds the note of an acknowledgement, in bytes.
const MaxAckNote = 2000

// AcknowledgeNotification records that the viewer's agency has taken note
// of a breach or escalation it was told of: the breach climbs no further.
func (s *Service) AcknowledgeNotification(ctx context.Context, v caseflow.Viewer, id int64, note string) error {
	note = strings.TrimSpace(note)
	if len(note) > MaxAckNote {
		return caseflow.InvalidField("note", caseflow.FieldError{Code: caseflow.FieldTooLong, Max: MaxAckNote,
			Message: fmt.Sprintf("at most %d bytes", MaxAckNote)})
	}
	return s.store.AcknowledgeNotification(ctx, v, id, note)
}

// ContactPoints lists where an agency (code) or, with code empty, the
// viewer is reached. An agency's are for administrators.
func (s *Service) ContactPoints(ctx context.Context, v caseflow.Viewer, code string) ([]caseflow.ContactPoint, error) {
	agency, err := s.contactOwner(ctx, v, code)
	if err != nil {
		return nil, err
	}
	if agency != 0 {
		return s.store.ContactPoints(ctx, agency, 0)
	}
	return s.store.ContactPoints(ctx, 0, v.UserID)
}

// SetContactPoints replaces where an agency (code; administrators) or, with
// code empty, the viewer is reached.
func (s *Service) SetContactPoints(ctx context.Context, v caseflow.Viewer, code string, cs []caseflow.ContactPoint) error {
	agency, err := s.contactOwner(ctx, v, code)
	if err != nil {
		return err
	}
	for i := range cs {
		cs[i].Address = strings.TrimSpace(cs[i].Address)
		if cs[i].Channel == caseflow.ChannelEmail {
			cs[i].Address = strings.ToLower(cs[i].Address)
		}
	}
	if err := caseflow.CheckContactPoints(cs, agency == 0); err != nil {
		return err
	}
	if agency != 0 {
		return s.store.SetContactPoints(ctx, v, agency, 0, cs)
	}
	return s.store.SetContactPoints(ctx, v, 0, v.UserID, cs)
}

func (s *Service) contactOwner(ctx context.Context, v caseflow.Viewer, code string) (int64, error) {
	if code == "" {
		return 0, nil
	}
	if v.Role != caseflow.RoleAdmin {
		return 0, caseflow.Errorf(caseflow.EForbidden, "only administrators manage an agency's contact points")
	}
	a, err := s.store.AgencyByCode(ctx, code)
	if err != nil {
		return 0, err
	}
	return a.ID, nil
}

// MarkNotificationRead marks one of the viewer's notifications read.
func (s *Service) MarkNotificationRead(ctx context.Context, v caseflow.Viewer, id int64) error {
	return s.store.MarkNotificationRead(ctx, v, id)
}
