package casework

import (
	"context"
	"fmt"
	"strings"
	"time"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
)

// Requests by a child's representative about the child's data: recorded
// with deadlines in working days on the legal calendar (the same calendar
// as the procedure's clocks), approved or refused with a reason, and an
// approved access request answered with an export of the child's data.

// AddSubjectRequest records a request and its deadlines.
func (s *Service) AddSubjectRequest(ctx context.Context, v caseflow.Viewer, code string, r *caseflow.SubjectRequest) (*caseflow.SubjectRequest, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	if !v.Role.ActsOnCases() {
		return nil, caseflow.Errorf(caseflow.EForbidden, "this role does not handle requests about a child's data")
	}
	if err := r.Validate(s.now()); err != nil {
		return nil, err
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	days := s.requestDays
	if days == nil {
		days = caseflow.DefaultSubjectRequestDays()
	}
	r.AcknowledgeDueAt = cal.Due(r.RequestedAt, calendar.Limit{Rule: calendar.WorkingDays, Amount: days["acknowledge"]})
	r.RespondDueAt = cal.Due(r.RequestedAt, calendar.Limit{Rule: calendar.WorkingDays, Amount: days[r.Kind]})
	id, err := s.store.AddSubjectRequest(ctx, v, code, r)
	if err != nil {
		return nil, err
	}
	return s.subjectRequest(ctx, v, code, id)
}

// SubjectRequests lists a case's requests about its child's data.
func (s *Service) SubjectRequests(ctx context.Context, v caseflow.Viewer, code string) ([]caseflow.SubjectRequest, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	return s.store.SubjectRequests(ctx, v, code)
}

func (s *Service) subjectRequest(ctx context.Context, v caseflow.Viewer, code string, id int64) (*caseflow.SubjectRequest, error) {
	all, err := s.store.SubjectRequests(ctx, v, code)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, caseflow.Errorf(caseflow.ENotFound, "no request %d on case %s", id, code)
}

// DecideSubjectRequest approves or refuses a request; a refusal says why
// (the ground of Law 91/2025 Điều 19 it rests on).
func (s *Service) DecideSubjectRequest(ctx context.Context, v caseflow.Viewer, code string, id int64, approve bool, reason string) (*caseflow.SubjectRequest, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	if !approve && caseflow.Blank(reason) {
		return nil, caseflow.InvalidField("reason", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "a refusal says why"})
	}
	if len(reason) > caseflow.MaxNote {
		return nil, caseflow.InvalidField("reason", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "is longer than 8 KiB", Max: caseflow.MaxNote})
	}
	if approve {
		reason = ""
	}
	if err := s.store.DecideSubjectRequest(ctx, v, code, id, approve, reason); err != nil {
		return nil, err
	}
	return s.subjectRequest(ctx, v, code, id)
}

// SubjectExport is the child's data handed to the representative for an
// approved access request: the case's facts, its children and the steps
// recorded, not the reporter's, the suspects' or the staff's notes.
type SubjectExport struct {
	Case    *caseflow.Case
	History []caseflow.HistoryEntry
}

// exportNote heads the file that answers an access request.
const exportNote = "The personal data caseflow holds about the child of this case, as the access request asked; " +
	"the reporter's and suspects' data and staff notes are withheld."

// The file that answers an access request, the same from the API and the
// web. The service leaves out the reporter, the suspects and the
// narrative, so the file has no place for them.
type (
	exportPerson struct {
		FullName     string `json:"full_name,omitempty"`
		Sex          string `json:"sex,omitempty"`
		DateOfBirth  string `json:"date_of_birth,omitempty"`
		Age          *int   `json:"age,omitempty"`
		Address      string `json:"address,omitempty"`
		Phone        string `json:"phone,omitempty"`
		Relationship string `json:"relationship,omitempty"`
		Anonymous    bool   `json:"anonymous,omitempty"`
	}
	exportCase struct {
		Code     string `json:"code"`
		State    string `json:"state"`
		Version  int    `json:"version"`
		Workflow struct {
			ID      string `json:"id"`
			Version int    `json:"version"`
		} `json:"workflow"`
		Commune struct {
			Code  string `json:"code"`
			Name  string `json:"name"`
			Level string `json:"level"`
		} `json:"commune"`
		ReceivedAt      time.Time      `json:"received_at"`
		Channel         string         `json:"channel"`
		AbuseTypes      []string       `json:"abuse_types"`
		Setting         string         `json:"setting"`
		ImmediateDanger bool           `json:"immediate_danger"`
		CrimeCategory   string         `json:"crime_category,omitempty"`
		Outcome         string         `json:"outcome,omitempty"`
		Access          string         `json:"access"`
		CreatedAt       time.Time      `json:"created_at"`
		UpdatedAt       time.Time      `json:"updated_at"`
		Children        []exportPerson `json:"children,omitempty"`
		ErasedAt        *time.Time     `json:"erased_at,omitempty"`
	}
)

func exportCaseOf(c *caseflow.Case) exportCase {
	out := exportCase{Code: c.Code, State: c.State, Version: c.Version, ReceivedAt: caseflow.Local(c.ReceivedAt), Channel: c.Channel,
		AbuseTypes: c.AbuseTypes, Setting: c.Setting, ImmediateDanger: c.ImmediateDanger, CrimeCategory: c.CrimeCategory,
		Outcome: c.Outcome, Access: string(c.Access), CreatedAt: caseflow.Local(c.CreatedAt), UpdatedAt: caseflow.Local(c.UpdatedAt)}
	out.Workflow.ID, out.Workflow.Version = c.WorkflowID, c.WorkflowVersion
	out.Commune.Code, out.Commune.Name, out.Commune.Level = c.Commune.Code, c.Commune.Name, caseflow.LevelCommune
	if c.ErasedAt != nil {
		t := caseflow.Local(*c.ErasedAt)
		out.ErasedAt = &t
	}
	for _, p := range c.Children {
		out.Children = append(out.Children, exportPerson{FullName: p.FullName, Sex: p.Sex, DateOfBirth: p.DateOfBirth, Age: p.Age,
			Address: p.Address, Phone: p.Phone, Relationship: p.Relationship, Anonymous: p.Anonymous})
	}
	return out
}

// exportStep is a step of the case in the file.
type exportStep struct {
	Event string    `json:"event"`
	From  string    `json:"from"`
	To    string    `json:"to"`
	At    time.Time `json:"at"`
}

// exportFile is the whole file.
type exportFile struct {
	Case    exportCase   `json:"case"`
	History []exportStep `json:"history"`
	Note    string       `json:"note"`
}

// File is the file that answers access request id, and its name.
func (x *SubjectExport) File(id int64) (string, any) {
	f := exportFile{Case: exportCaseOf(x.Case), History: make([]exportStep, 0, len(x.History)), Note: exportNote}
	for _, h := range x.History {
		f.History = append(f.History, exportStep{Event: h.Event, From: h.From, To: h.To, At: caseflow.Local(h.At)})
	}
	return fmt.Sprintf("%s-request-%d.json", x.Case.Code, id), f
}

// ExportSubjectRequest answers an approved access request with the child's
// data; the read and the export are audited.
func (s *Service) ExportSubjectRequest(ctx context.Context, v caseflow.Viewer, code string, id int64) (*SubjectExport, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	if err := s.store.MarkSubjectRequestExported(ctx, v, code, id); err != nil {
		return nil, err
	}
	c, err := s.store.Case(ctx, v, code)
	if err != nil {
		return nil, err
	}
	hist, err := s.store.History(ctx, v, code)
	if err != nil {
		return nil, err
	}
	c.Suspects, c.Reporter, c.Narrative = nil, nil, ""
	for i := range hist {
		hist[i].Note, hist[i].LateReason, hist[i].Data = "", "", nil
	}
	return &SubjectExport{Case: c, History: hist}, nil
}

// CorrectChild corrects one field of a child's record (full_name,
// date_of_birth, address) under an approved correction request; the
// history keeps what it was.
func (s *Service) CorrectChild(ctx context.Context, v caseflow.Viewer, code string, id int64, position int, field, value string) error {
	if err := readsCases(v); err != nil {
		return err
	}
	value = strings.TrimSpace(value)
	fe := caseflow.FieldErrors{}
	switch {
	case !caseflow.IsText(value):
		fe.Add("value", caseflow.NotText())
	case field == "full_name" && caseflow.Blank(value):
		fe.Add("value", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "a child's name cannot be emptied"})
	case len(value) > 200:
		fe.Add("value", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "is longer than 200 bytes", Max: 200})
	case field == "date_of_birth":
		if d, err := time.ParseInLocation("2006-01-02", value, caseflow.Zone); err != nil {
			fe.Add("value", caseflow.FieldError{Code: caseflow.FieldNotADate, Message: "must be a date YYYY-MM-DD"})
		} else if d.After(s.now()) {
			fe.Add("value", caseflow.FieldError{Code: caseflow.FieldInFuture, Message: "is in the future"})
		}
	}
	if position < 0 {
		fe.Add("child", caseflow.FieldError{Code: caseflow.FieldOutOfRange, Message: "must be 0 or more", Min: 0})
	}
	if err := fe.Err(); err != nil {
		return err
	}
	return s.store.CorrectChild(ctx, v, code, id, position, field, value)
}
