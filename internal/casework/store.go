package casework

import (
	"context"
	"time"

	"caseflow/internal/caseflow"
)

// Store is the storage the case services need. Every method that reads a
// case applies the viewer's need-to-know in storage; every method that
// writes owns its transaction.
type Store interface {
	// ClaimRequestKey, SaveAnswer and ReleaseRequestKey keep the
	// Idempotency-Keys of writes and their answers (see package replay).
	ClaimRequestKey(ctx context.Context, k caseflow.RequestKey, route, caseCode string, hash []byte, lease time.Duration) (*caseflow.KeyClaim, error)
	SaveAnswer(ctx context.Context, k caseflow.RequestKey, a caseflow.StoredAnswer) error
	ReleaseRequestKey(ctx context.Context, k caseflow.RequestKey, refused bool) error
	// ListStuckItems lists the items batch jobs set aside after they failed.
	ListStuckItems(ctx context.Context) ([]caseflow.StuckItem, error)
	Intake(ctx context.Context, v caseflow.Viewer, r *caseflow.Report, start caseflow.Start, key string, requestHash []byte) (*caseflow.IntakeResult, error)
	Case(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Case, error)
	CaseSummary(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Case, error)
	CaseReads(ctx context.Context, v caseflow.Viewer, code string, limit int) ([]caseflow.Read, error)
	ClosedCases(ctx context.Context, closedBefore time.Time, after int64, limit int) ([]caseflow.ClosedCase, error)
	ShredCase(ctx context.Context, v caseflow.Viewer, code, reason string) error
	Processing(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Processing, []int, error)
	SetProcessing(ctx context.Context, v caseflow.Viewer, code string, p caseflow.Processing) error
	AddSubjectRequest(ctx context.Context, v caseflow.Viewer, code string, r *caseflow.SubjectRequest) (int64, error)
	SubjectRequests(ctx context.Context, v caseflow.Viewer, code string) ([]caseflow.SubjectRequest, error)
	DecideSubjectRequest(ctx context.Context, v caseflow.Viewer, code string, id int64, approve bool, reason string) error
	MarkSubjectRequestExported(ctx context.Context, v caseflow.Viewer, code string, id int64) error
	CorrectChild(ctx context.Context, v caseflow.Viewer, code string, id int64, position int, field, value string) error
	ShreddedCount(ctx context.Context, unitPath string, since time.Time) (int64, int64, error)
	Cases(ctx context.Context, v caseflow.Viewer, f caseflow.CaseFilter) (*caseflow.CasePage, error)
	History(ctx context.Context, v caseflow.Viewer, code string) ([]caseflow.HistoryEntry, error)
	ApplyTransition(ctx context.Context, v caseflow.Viewer, ch *caseflow.Change) error
	Worklist(ctx context.Context, v caseflow.Viewer, states []string, limit int) ([]caseflow.WorkItem, error)

	Clocks(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Case, []caseflow.Clock, error)
	ClockForExtension(ctx context.Context, v caseflow.Viewer, code, clock, instance string) (*caseflow.Case, *caseflow.Clock, error)
	ExtendClock(ctx context.Context, v caseflow.Viewer, k *caseflow.Clock, ext caseflow.Extension, newWarn time.Time) (*caseflow.Clock, error)

	NextReferralID(ctx context.Context) (int64, error)
	Referral(ctx context.Context, v caseflow.Viewer, id int64) (*caseflow.Referral, error)
	Referrals(ctx context.Context, v caseflow.Viewer, code string) ([]*caseflow.Referral, error)
	FinishReferral(ctx context.Context, v caseflow.Viewer, id int64, note string) error

	Compliance(ctx context.Context, q caseflow.ComplianceQuery) (*caseflow.ComplianceReport, error)
	ComplianceTrend(ctx context.Context, q caseflow.ComplianceQuery, indicator string) ([]caseflow.MonthFigure, error)
	ComplianceCases(ctx context.Context, v caseflow.Viewer, q caseflow.ComplianceCaseQuery) (*caseflow.ComplianceItemPage, error)
	Audit(ctx context.Context, v caseflow.Viewer, action, caseCode string, detail map[string]any) error

	AgencyByCode(ctx context.Context, code string) (*caseflow.Agency, error)
	UnitByCode(ctx context.Context, code string) (*caseflow.Unit, int64, error)
	UnitsByCode(ctx context.Context, code string) ([]caseflow.Unit, error)
	AgencyServes(ctx context.Context, communeID int64, at time.Time, t caseflow.AgencyType, code string) (bool, error)
	CommunesServedBy(ctx context.Context, agencyID int64, t caseflow.AgencyType, at time.Time) ([]caseflow.Unit, error)
	UnitsBecame(ctx context.Context, id int64, t time.Time) ([]caseflow.Unit, error)
	UnitsFormedInto(ctx context.Context, id int64, t time.Time) ([]caseflow.Unit, error)
	StructuresOf(ctx context.Context, path string) ([]caseflow.Structure, error)
	UnitsBefore(ctx context.Context, id int64) ([]caseflow.Unit, error)
	JurisdictionRows(ctx context.Context, path string, f caseflow.JurisdictionFilter) ([]caseflow.JurisdictionRow, error)
	AddJurisdiction(ctx context.Context, v caseflow.Viewer, r caseflow.JurisdictionRow) (*caseflow.JurisdictionRow, []int64, error)
	EditJurisdiction(ctx context.Context, v caseflow.Viewer, id int64, e caseflow.JurisdictionEdit) (*caseflow.JurisdictionRow, error)
	WithdrawJurisdiction(ctx context.Context, v caseflow.Viewer, id int64) error
	RemapOpenCases(ctx context.Context, v caseflow.Viewer, on time.Time, apply bool) (*caseflow.RemapReport, error)
	Directory(ctx context.Context) ([]caseflow.Agency, []caseflow.Unit, error)
	UserByUsername(ctx context.Context, username string) (*caseflow.User, error)

	Holidays(ctx context.Context) ([]caseflow.Holiday, error)
	HolidayDates(ctx context.Context) ([]time.Time, error)
	WorkingDates(ctx context.Context) ([]time.Time, error)
	PutHoliday(ctx context.Context, v caseflow.Viewer, h caseflow.Holiday) error
	DeleteHoliday(ctx context.Context, v caseflow.Viewer, date time.Time) error

	Notifications(ctx context.Context, v caseflow.Viewer, limit int) ([]caseflow.Notification, int64, error)
	CaseNotifications(ctx context.Context, v caseflow.Viewer, code string) ([]caseflow.Notification, error)
	UnreadNotifications(ctx context.Context, v caseflow.Viewer) (int64, error)
	MarkNotificationRead(ctx context.Context, v caseflow.Viewer, id int64) error
	AcknowledgeNotification(ctx context.Context, v caseflow.Viewer, id int64, note string) error
	ContactPoints(ctx context.Context, agencyID, userID int64) ([]caseflow.ContactPoint, error)
	SetContactPoints(ctx context.Context, v caseflow.Viewer, agencyID, userID int64, cs []caseflow.ContactPoint) error
}
