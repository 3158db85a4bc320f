package account

import (
	"context"
	"regexp"
	"strings"
	"time"

	"caseflow/internal/caseflow"
)

// AdminStore is the storage account administration needs; Store includes it.
type AdminStore interface {
	Users(ctx context.Context) ([]*caseflow.User, error)
	UserByUsername(ctx context.Context, username string) (*caseflow.User, error)
	CreateUser(ctx context.Context, v caseflow.Viewer, u *caseflow.User, hash string, awaitApproval bool) error
	UpdateUser(ctx context.Context, v caseflow.Viewer, username string, ch caseflow.UserChange) error
	PendingGrants(ctx context.Context) ([]caseflow.RoleGrant, error)
	RequestGrant(ctx context.Context, v caseflow.Viewer, username string, role caseflow.Role, agencyCode string) (*caseflow.RoleGrant, error)
	DecideGrant(ctx context.Context, v caseflow.Viewer, id int64, approve bool, reason string) (*caseflow.RoleGrant, error)
	RecordBreach(ctx context.Context, v caseflow.Viewer, b *caseflow.DataBreach) (int64, error)
	Breaches(ctx context.Context) ([]caseflow.DataBreach, error)
	BreachNotified(ctx context.Context, v caseflow.Viewer, id int64, at time.Time, reference string) error
	AgencyByCode(ctx context.Context, code string) (*caseflow.Agency, error)
}

// checkAgency adds to fe the problem of an account's agency: it must exist
// and act today. Staff of an agency that ended (a district police force,
// a former commune) keep their history but no new account or access.
func (s *Service) checkAgency(ctx context.Context, fe caseflow.FieldErrors, field, code string) error {
	a, err := s.Store.AgencyByCode(ctx, code)
	if caseflow.ErrorCode(err) == caseflow.ENotFound {
		fe.Add(field, caseflow.FieldError{Code: caseflow.FieldNotFound, Message: "no such agency"})
		return nil
	}
	if err != nil {
		return err
	}
	s.defaults()
	if !a.ActsOn(s.Now()) {
		fe.Add(field, caseflow.FieldError{Code: caseflow.FieldAgencyEnded, Value: a.Code,
			Message: a.WhyNotActing(s.Now()) + ": accounts belong to agencies that act today"})
	}
	return nil
}

// NewUser is an account an administrator creates.
type NewUser struct {
	Username    string
	DisplayName string
	Role        caseflow.Role
	AgencyCode  string
	Password    string
}

// UserEdit is an administrator's edit of an account; nil fields stay.
type UserEdit struct {
	DisplayName *string
	Role        *caseflow.Role
	AgencyCode  *string
	Disabled    *bool
	Password    *string
}

var usernameRE = regexp.MustCompile(`^[a-z][a-z0-9._-]{2,39}$`)

// UsernameRule says what a username may look like.
const UsernameRule = "must be 3–40 lowercase letters, digits, '.', '_' or '-', starting with a letter"

// maxDisplayName is the longest display name, in bytes.
const maxDisplayName = 200

// unknownRole is the problem of a role that is not one of caseflow.Roles.
func unknownRole() caseflow.FieldError {
	names := make([]string, len(caseflow.Roles))
	for i, r := range caseflow.Roles {
		names[i] = string(r)
	}
	return caseflow.FieldError{Code: caseflow.FieldNotOneOf, Message: "is not a known role", Allowed: names}
}

func requireAdmin(v caseflow.Viewer) error {
	if v.Role != caseflow.RoleAdmin {
		return caseflow.Errorf(caseflow.EForbidden, "only administrators manage accounts")
	}
	return nil
}

// Users lists every account, for administrators, each with the grant that
// waits for it.
func (s *Service) Users(ctx context.Context, v caseflow.Viewer) ([]*caseflow.User, error) {
	if err := requireAdmin(v); err != nil {
		return nil, err
	}
	us, err := s.Store.Users(ctx)
	if err != nil {
		return nil, err
	}
	gs, err := s.Store.PendingGrants(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		for i := range gs {
			if gs[i].Username == u.Username {
				u.PendingGrant = &gs[i]
			}
		}
	}
	return us, nil
}

// Grants lists the grants of roles that read personal data waiting for a
// second administrator.
func (s *Service) Grants(ctx context.Context, v caseflow.Viewer) ([]caseflow.RoleGrant, error) {
	if err := requireAdmin(v); err != nil {
		return nil, err
	}
	return s.Store.PendingGrants(ctx)
}

// DecideGrant approves or refuses a waiting grant; a refusal says why.
// The administrator who asked for it, and the account's owner, may not.
func (s *Service) DecideGrant(ctx context.Context, v caseflow.Viewer, id int64, approve bool, reason string) (*caseflow.RoleGrant, error) {
	if err := requireAdmin(v); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if !approve && caseflow.Blank(reason) {
		return nil, caseflow.InvalidField("reason", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "a refusal says why"})
	}
	if len(reason) > maxDisplayName*10 {
		return nil, caseflow.InvalidField("reason", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "is longer than 2000 bytes", Max: maxDisplayName * 10})
	}
	return s.Store.DecideGrant(ctx, v, id, approve, reason)
}

// User returns one account, for administrators.
func (s *Service) User(ctx context.Context, v caseflow.Viewer, username string) (*caseflow.User, error) {
	if err := requireAdmin(v); err != nil {
		return nil, err
	}
	u, err := s.Store.UserByUsername(ctx, username)
	if err != nil {
		return nil, err
	}
	u.PasswordHash = ""
	gs, err := s.Store.PendingGrants(ctx)
	if err != nil {
		return nil, err
	}
	for i := range gs {
		if gs[i].Username == u.Username {
			u.PendingGrant = &gs[i]
		}
	}
	return u, nil
}

// CreateUser checks and creates an account.
func (s *Service) CreateUser(ctx context.Context, v caseflow.Viewer, n NewUser) (*caseflow.User, error) {
	if err := requireAdmin(v); err != nil {
		return nil, err
	}
	n.Username, n.DisplayName = strings.TrimSpace(n.Username), strings.TrimSpace(n.DisplayName)
	fe := caseflow.FieldErrors{}
	if !usernameRE.MatchString(n.Username) {
		fe.Add("username", caseflow.FieldError{Code: caseflow.FieldNotAUsername, Message: UsernameRule})
	}
	if !n.Role.Valid() {
		fe.Add("role", unknownRole())
	}
	if n.AgencyCode == "" {
		fe.Add("agency_code", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required"})
	} else if err := s.checkAgency(ctx, fe, "agency_code", n.AgencyCode); err != nil {
		return nil, err
	}
	if len(n.DisplayName) > maxDisplayName {
		fe.Add("display_name", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "is longer than 200 bytes", Max: maxDisplayName})
	}
	if bad := CheckNewPassword(n.Password); bad != nil {
		fe.Add("password", *bad)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	hash, err := s.Hash(n.Password)
	if err != nil {
		return nil, err
	}
	u := &caseflow.User{Username: n.Username, DisplayName: n.DisplayName, Role: n.Role, Agency: caseflow.Agency{Code: n.AgencyCode}}
	// An account that reads children's personal data waits for a second
	// administrator.
	if err := s.Store.CreateUser(ctx, v, u, hash, n.Role.ReadsPersonalData()); err != nil {
		return nil, err
	}
	return s.User(ctx, v, n.Username)
}

// UpdateUser checks and applies an edit of an account. Disabling it or
// setting its password ends its sessions.
func (s *Service) UpdateUser(ctx context.Context, v caseflow.Viewer, username string, e UserEdit) (*caseflow.User, error) {
	if err := requireAdmin(v); err != nil {
		return nil, err
	}
	fe := caseflow.FieldErrors{}
	ch := caseflow.UserChange{Role: e.Role, AgencyCode: e.AgencyCode, Disabled: e.Disabled}
	if e.DisplayName != nil {
		d := strings.TrimSpace(*e.DisplayName)
		if len(d) > maxDisplayName {
			fe.Add("display_name", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "is longer than 200 bytes", Max: maxDisplayName})
		}
		ch.DisplayName = &d
	}
	if e.Role != nil && !e.Role.Valid() {
		fe.Add("role", unknownRole())
	}
	if e.AgencyCode != nil && *e.AgencyCode == "" {
		fe.Add("agency_code", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required"})
	} else if e.AgencyCode != nil {
		if err := s.checkAgency(ctx, fe, "agency_code", *e.AgencyCode); err != nil {
			return nil, err
		}
	} else if e.Disabled != nil && !*e.Disabled {
		// Enabling an account of an agency that has ended is refused too.
		if u, err := s.Store.UserByUsername(ctx, username); err == nil {
			if err := s.checkAgency(ctx, fe, "disabled", u.Agency.Code); err != nil {
				return nil, err
			}
		}
	}
	if e.Disabled != nil && *e.Disabled && username == v.Username {
		fe.Add("disabled", caseflow.FieldError{Code: caseflow.FieldOwnAccount, Message: "you cannot disable your own account"})
	}
	if e.Password != nil {
		if bad := CheckNewPassword(*e.Password); bad != nil {
			fe.Add("password", *bad)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if e.Password != nil {
		hash, err := s.Hash(*e.Password)
		if err != nil {
			return nil, err
		}
		ch.PasswordHash = &hash
	}
	// A change that gives the account a role reading personal data, or
	// moves such an account to another agency, waits for a second
	// administrator; the rest of the edit applies now.
	var grant *caseflow.RoleGrant
	if ch.Role != nil || ch.AgencyCode != nil {
		cur, err := s.Store.UserByUsername(ctx, username)
		if err != nil {
			return nil, err
		}
		role, agency := cur.Role, cur.Agency.Code
		if ch.Role != nil {
			role = *ch.Role
		}
		if ch.AgencyCode != nil {
			agency = *ch.AgencyCode
		}
		if role.ReadsPersonalData() && (role != cur.Role || agency != cur.Agency.Code) {
			ch.Role, ch.AgencyCode = nil, nil
			grant = &caseflow.RoleGrant{Role: role, AgencyCode: agency}
			gs, err := s.Store.PendingGrants(ctx)
			if err != nil {
				return nil, err
			}
			for _, g := range gs {
				if g.Username == username {
					return nil, &caseflow.Error{Code: caseflow.EConflict, Message: "a grant for this account already waits for a decision",
						Fields: map[string]caseflow.FieldError{"role": {Code: caseflow.FieldWrongState, Message: "a grant already waits for a second administrator"}}}
				}
			}
		}
	}
	if err := s.Store.UpdateUser(ctx, v, username, ch); err != nil {
		return nil, err
	}
	if grant != nil {
		if _, err := s.Store.RequestGrant(ctx, v, username, grant.Role, grant.AgencyCode); err != nil {
			return nil, err
		}
	}
	return s.User(ctx, v, username)
}

// RecordBreach records a suspected breach of personal data; its notice to
// the specialised agency is due 72 hours after detection, and the
// supervisors are reminded until it is recorded as sent.
func (s *Service) RecordBreach(ctx context.Context, v caseflow.Viewer, b *caseflow.DataBreach) (*caseflow.DataBreach, error) {
	if err := requireAdmin(v); err != nil {
		return nil, err
	}
	s.defaults()
	if err := b.Validate(s.Now()); err != nil {
		return nil, err
	}
	id, err := s.Store.RecordBreach(ctx, v, b)
	if err != nil {
		return nil, err
	}
	return s.breach(ctx, id)
}

// Breaches lists the recorded breaches, newest first, for administrators.
func (s *Service) Breaches(ctx context.Context, v caseflow.Viewer) ([]caseflow.DataBreach, error) {
	if err := requireAdmin(v); err != nil {
		return nil, err
	}
	return s.Store.Breaches(ctx)
}

// BreachNotified records that the notice of a breach was sent, when and
// under which reference.
func (s *Service) BreachNotified(ctx context.Context, v caseflow.Viewer, id int64, at time.Time, reference string) (*caseflow.DataBreach, error) {
	if err := requireAdmin(v); err != nil {
		return nil, err
	}
	s.defaults()
	reference = strings.TrimSpace(reference)
	fe := caseflow.FieldErrors{}
	if caseflow.Blank(reference) || len(reference) > 200 {
		fe.Add("authority_reference", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "the notice's number or reference (at most 200 bytes)"})
	}
	if at.IsZero() {
		at = s.Now()
	} else if at.After(s.Now().Add(5 * time.Minute)) {
		fe.Add("notified_at", caseflow.FieldError{Code: caseflow.FieldInFuture, Message: "is in the future"})
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := s.Store.BreachNotified(ctx, v, id, at, reference); err != nil {
		return nil, err
	}
	return s.breach(ctx, id)
}

func (s *Service) breach(ctx context.Context, id int64) (*caseflow.DataBreach, error) {
	all, err := s.Store.Breaches(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, caseflow.Errorf(caseflow.ENotFound, "no breach %d", id)
}
