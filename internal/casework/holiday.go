package casework

import (
	"context"
	"strings"
	"time"

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

// PutHoliday adds or renames a public holiday (administrators only). Clocks
// started from now on use the new calendar; due times already set stay.
func (s *Service) PutHoliday(ctx context.Context, v caseflow.Viewer, day time.Time, name string) error {
	if v.Role != caseflow.RoleAdmin {
		return caseflow.Errorf(caseflow.EForbidden, "only administrators edit public holidays")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return caseflow.InvalidField("name", caseflow.FieldError{Code: caseflow.FieldRequired, Message: holidayNameRule})
	}
	if len(name) > maxHolidayName {
		return caseflow.InvalidField("name", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: holidayNameRule, Max: maxHolidayName})
	}
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	if err := s.store.PutHoliday(ctx, v, day, name); err != nil {
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

// MarkNotificationRead marks one of the viewer's notifications read.
func (s *Service) MarkNotificationRead(ctx context.Context, v caseflow.Viewer, id int64) error {
	return s.store.MarkNotificationRead(ctx, v, id)
}
