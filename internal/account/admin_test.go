package account_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/account"
	"caseflow/internal/caseflow"
	"caseflow/internal/testenv"
)

// newPassword is a password that meets the rule for new accounts.
const newPassword = "Mật-khẩu-mới-2026"

// newAccount is a valid new account with a unique username.
func newAccount() account.NewUser {
	return account.NewUser{Username: "created-" + testenv.Suffix(), DisplayName: "Cán bộ mới (demo)",
		Role: caseflow.RoleCommuneOfficer, AgencyCode: "CP-12004", Password: newPassword}
}

// fields returns the offending fields of an error, failing unless it has the code.
func fields(t *testing.T, err error, code string) map[string]string {
	t.Helper()
	require.Equal(t, code, caseflow.ErrorCode(err), "%v", err)
	var e *caseflow.Error
	require.ErrorAs(t, err, &e)
	out := make(map[string]string, len(e.Fields))
	for k, fe := range e.Fields {
		out[k] = fe.Message
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestCreateUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("CreatedOfficerLogsInOnceASecondAdministratorApproves", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		admin := newUser(t, caseflow.RoleAdmin)
		n := newAccount()
		n.Username, n.DisplayName = "  "+n.Username+" ", " Cán bộ mới (demo)  "
		u, err := s.CreateUser(ctx, viewer(admin), n)
		require.NoError(t, err)
		require.Equal(t, strings.TrimSpace(n.Username), u.Username, "the username is trimmed")
		require.Equal(t, "Cán bộ mới (demo)", u.DisplayName)
		require.Equal(t, caseflow.RoleCommuneOfficer, u.Role)
		require.Equal(t, "CP-12004", u.Agency.Code)
		require.False(t, u.Disabled)
		require.Empty(t, u.PasswordHash, "the hash is not handed out")
		require.True(t, u.AwaitingApproval, "an officer reads children's data: the account waits")
		require.NotNil(t, u.PendingGrant)
		require.Equal(t, admin.Username, u.PendingGrant.RequestedBy)

		_, _, err = s.Login(ctx, u.Username, newPassword, "192.0.2.50", "req-created")
		require.Equal(t, caseflow.EForbidden, caseflow.ErrorCode(err), "logged in before approval: %v", err)
		_, err = s.DecideGrant(ctx, viewer(admin), u.PendingGrant.ID, true, "")
		require.Equal(t, caseflow.EForbidden, caseflow.ErrorCode(err), "the administrator who asked approved it: %v", err)
		_, err = s.DecideGrant(ctx, viewer(u), u.PendingGrant.ID, true, "")
		require.Equal(t, caseflow.EForbidden, caseflow.ErrorCode(err), "not an administrator: %v", err)

		second := newUser(t, caseflow.RoleAdmin)
		g, err := s.DecideGrant(ctx, viewer(second), u.PendingGrant.ID, true, "")
		require.NoError(t, err)
		require.Equal(t, caseflow.GrantApproved, g.Decision)
		require.Equal(t, second.Username, g.DecidedBy)
		_, err = s.DecideGrant(ctx, viewer(second), u.PendingGrant.ID, true, "")
		require.Equal(t, caseflow.EConflict, caseflow.ErrorCode(err), "decided twice: %v", err)

		sess, who, err := s.Login(ctx, u.Username, newPassword, "192.0.2.50", "req-created")
		require.NoError(t, err)
		require.Equal(t, u.ID, who.ID)
		require.NotEmpty(t, sess.Token)
		require.Equal(t, "1", auditCount(t, "user.create", u.Username))
		require.Equal(t, "1", auditCount(t, "user.grant_approved", u.Username))
	})

	t.Run("AnAccountThatReadsNoPersonalDataNeedsNoSecondAdministrator", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		n := newAccount()
		n.Role, n.AgencyCode = caseflow.RoleSupervisor, "BCD-33"
		u, err := s.CreateUser(ctx, viewer(newUser(t, caseflow.RoleAdmin)), n)
		require.NoError(t, err)
		require.False(t, u.AwaitingApproval)
		_, _, err = s.Login(ctx, u.Username, newPassword, "192.0.2.51", "req-supervisor")
		require.NoError(t, err)
	})

	t.Run("AnAdministratorCannotGrantItselfAnOfficersRole", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		admin := newUser(t, caseflow.RoleAdmin)
		u, err := s.UpdateUser(ctx, viewer(admin), admin.Username, account.UserEdit{Role: ptr(caseflow.RoleCommuneOfficer),
			AgencyCode: ptr("CP-12004"), DisplayName: ptr("Quản trị (đổi tên)")})
		require.NoError(t, err)
		require.Equal(t, caseflow.RoleAdmin, u.Role, "the role changed without a second administrator")
		require.Equal(t, "Quản trị (đổi tên)", u.DisplayName, "the rest of the edit applies")
		require.NotNil(t, u.PendingGrant)
		_, err = s.UpdateUser(ctx, viewer(admin), admin.Username, account.UserEdit{Role: ptr(caseflow.RolePolice)})
		require.Equal(t, caseflow.EConflict, caseflow.ErrorCode(err), "a second request while one waits: %v", err)
		_, err = s.DecideGrant(ctx, viewer(admin), u.PendingGrant.ID, true, "")
		require.Equal(t, caseflow.EForbidden, caseflow.ErrorCode(err))
		_, err = s.DecideGrant(ctx, viewer(newUser(t, caseflow.RoleAdmin)), u.PendingGrant.ID, false, " ")
		require.Equal(t, caseflow.EInvalid, caseflow.ErrorCode(err), "a refusal without a reason: %v", err)
		g, err := s.DecideGrant(ctx, viewer(newUser(t, caseflow.RoleAdmin)), u.PendingGrant.ID, false, "Quản trị không đọc hồ sơ")
		require.NoError(t, err)
		require.Equal(t, caseflow.GrantRefused, g.Decision)
		after, err := s.User(ctx, viewer(admin), admin.Username)
		require.NoError(t, err)
		require.Equal(t, caseflow.RoleAdmin, after.Role)
		require.Nil(t, after.PendingGrant)
	})

	t.Run("PasswordIsStoredAsArgon2id", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u, err := s.CreateUser(ctx, viewer(newUser(t, caseflow.RoleAdmin)), newAccount())
		require.NoError(t, err)
		stored, err := env.db.DB.UserByUsername(ctx, u.Username)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=1024,t=1,p=1$"), stored.PasswordHash)
		require.NotContains(t, stored.PasswordHash, newPassword)
	})

	t.Run("ValidationErrorsNameTheFields", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		admin := viewer(newUser(t, caseflow.RoleAdmin))
		_, err := s.CreateUser(ctx, admin, account.NewUser{Username: "Bad Name", DisplayName: strings.Repeat("x", 201),
			Role: "janitor", Password: "short"})
		require.Equal(t, map[string]string{
			"username":     account.UsernameRule,
			"role":         "is not a known role",
			"agency_code":  "is required",
			"display_name": "is longer than 200 bytes",
			"password":     "must be at least 10 characters",
		}, fields(t, err, caseflow.EInvalid))
	})

	t.Run("UsernameRule", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		admin := viewer(newUser(t, caseflow.RoleAdmin))
		for _, name := range []string{"", "ab", "1abc", "-abc", "Abc", "ab c", "abc@x", "ngườidùng", "a" + strings.Repeat("b", 40)} {
			n := newAccount()
			n.Username = name
			_, err := s.CreateUser(ctx, admin, n)
			require.Equal(t, map[string]string{"username": account.UsernameRule}, fields(t, err, caseflow.EInvalid), "%q", name)
		}
		// Valid names, checked with another field wrong so that nothing is
		// created and the test can be run again on the same database.
		for _, name := range []string{"abc", "a.b_c-d", "z" + strings.Repeat("9", 39)} {
			n := newAccount()
			n.Username, n.AgencyCode = name, ""
			_, err := s.CreateUser(ctx, admin, n)
			require.Equal(t, map[string]string{"agency_code": "is required"}, fields(t, err, caseflow.EInvalid), "%q", name)
		}
		n := newAccount()
		n.Username = "a" + strings.Repeat("b", 31) + testenv.Suffix()
		require.Len(t, n.Username, 40)
		_, err := s.CreateUser(ctx, admin, n)
		require.NoError(t, err, "40 characters is allowed")
	})

	t.Run("WeakPasswordIsRefused", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		n := newAccount()
		n.Password = "onlyletters"
		_, err := s.CreateUser(ctx, viewer(newUser(t, caseflow.RoleAdmin)), n)
		require.Equal(t, map[string]string{"password": "must mix letters with digits or symbols"}, fields(t, err, caseflow.EInvalid))
	})

	t.Run("UnknownAgencyIsAFieldError", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		n := newAccount()
		n.AgencyCode = "NO-SUCH-AGENCY"
		_, err := s.CreateUser(ctx, viewer(newUser(t, caseflow.RoleAdmin)), n)
		require.Contains(t, fields(t, err, caseflow.EInvalid), "agency_code")
		_, err = env.db.DB.UserByUsername(ctx, n.Username)
		require.Equal(t, caseflow.ENotFound, caseflow.ErrorCode(err), "nothing was created: %v", err)
	})

	t.Run("TakenUsernameIsAConflict", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		admin := viewer(newUser(t, caseflow.RoleAdmin))
		existing := newUser(t, caseflow.RoleSocialWorker)
		n := newAccount()
		n.Username = existing.Username
		_, err := s.CreateUser(ctx, admin, n)
		require.Equal(t, map[string]string{"username": "is taken"}, fields(t, err, caseflow.EConflict))

		stored, err := env.db.DB.UserByUsername(ctx, existing.Username)
		require.NoError(t, err)
		require.Equal(t, existing.Role, stored.Role, "the existing account is untouched")
		require.Equal(t, existing.PasswordHash, stored.PasswordHash)
	})

	t.Run("OnlyAdministratorsMay", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		for _, role := range []caseflow.Role{caseflow.RoleSupervisor, caseflow.RoleCommuneOfficer, ""} {
			v := caseflow.Viewer{Role: role}
			if role != "" {
				v = viewer(newUser(t, role))
			}
			n := newAccount()
			_, err := s.CreateUser(ctx, v, n)
			require.Equal(t, caseflow.EForbidden, caseflow.ErrorCode(err), "%s: %v", role, err)
			_, err = env.db.DB.UserByUsername(ctx, n.Username)
			require.Equal(t, caseflow.ENotFound, caseflow.ErrorCode(err), "%s: nothing was created: %v", role, err)
		}
	})

	t.Run("ForbiddenComesBeforeValidation", func(t *testing.T) {
		t.Parallel()
		_, err := service(t).CreateUser(ctx, viewer(newUser(t, caseflow.RoleSupervisor)), account.NewUser{})
		require.Equal(t, caseflow.EForbidden, caseflow.ErrorCode(err), "%v", err)
	})
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("DisablingEndsTheSessions", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		admin := newUser(t, caseflow.RoleAdmin)
		adminTok := login(t, s, admin.Username)
		u := newUser(t, caseflow.RoleSocialWorker)
		a, b := login(t, s, u.Username), login(t, s, u.Username)

		got, err := s.UpdateUser(ctx, viewer(admin), u.Username, account.UserEdit{Disabled: ptr(true)})
		require.NoError(t, err)
		require.True(t, got.Disabled)
		for _, tok := range []string{a, b} {
			_, err := s.Authenticate(ctx, tok)
			require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
		}
		_, _, err = s.Login(ctx, u.Username, testenv.Password, "192.0.2.60", "req-disabled")
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
		_, err = s.Authenticate(ctx, adminTok)
		require.NoError(t, err, "other accounts keep their sessions")

		t.Run("ReenablingLetsTheUserLogInAgainButOldSessionsStayEnded", func(t *testing.T) {
			got, err := s.UpdateUser(ctx, viewer(admin), u.Username, account.UserEdit{Disabled: ptr(false)})
			require.NoError(t, err)
			require.False(t, got.Disabled)
			_, err = s.Authenticate(ctx, a)
			require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
			login(t, s, u.Username)
		})
	})

	t.Run("NewPasswordEndsTheSessionsAndReplacesTheOld", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		admin := newUser(t, caseflow.RoleAdmin)
		u := newUser(t, caseflow.RoleSocialWorker)
		tok := login(t, s, u.Username)

		got, err := s.UpdateUser(ctx, viewer(admin), u.Username, account.UserEdit{Password: ptr(newPassword)})
		require.NoError(t, err)
		require.Empty(t, got.PasswordHash)
		_, err = s.Authenticate(ctx, tok)
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
		_, _, err = s.Login(ctx, u.Username, testenv.Password, "192.0.2.61", "req-old")
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "the old password no longer works: %v", err)
		_, _, err = s.Login(ctx, u.Username, newPassword, "192.0.2.61", "req-new")
		require.NoError(t, err)
	})

	t.Run("OtherChangesKeepTheSessions", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		admin := newUser(t, caseflow.RoleAdmin)
		u := newUser(t, caseflow.RoleSocialWorker)
		tok := login(t, s, u.Username)

		got, err := s.UpdateUser(ctx, viewer(admin), u.Username, account.UserEdit{
			DisplayName: ptr("  Tên mới (demo) "), Role: ptr(caseflow.RoleSupervisor), AgencyCode: ptr("BCD-33")})
		require.NoError(t, err)
		require.Equal(t, "Tên mới (demo)", got.DisplayName)
		require.Equal(t, caseflow.RoleSupervisor, got.Role)
		require.Equal(t, "BCD-33", got.Agency.Code)
		who, err := s.Authenticate(ctx, tok)
		require.NoError(t, err)
		require.Equal(t, caseflow.RoleSupervisor, who.Role, "a live session sees the new role")
	})

	t.Run("UnsetFieldsStay", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		admin := newUser(t, caseflow.RoleAdmin)
		u := newUser(t, caseflow.RoleSocialWorker)
		got, err := s.UpdateUser(ctx, viewer(admin), u.Username, account.UserEdit{})
		require.NoError(t, err)
		require.Equal(t, u.DisplayName, got.DisplayName)
		require.Equal(t, u.Role, got.Role)
		require.Equal(t, u.Agency.Code, got.Agency.Code)
		require.False(t, got.Disabled)
		login(t, s, u.Username)
	})

	t.Run("ValidationErrorsNameTheFields", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		admin := newUser(t, caseflow.RoleAdmin)
		u := newUser(t, caseflow.RoleSocialWorker)
		tok := login(t, s, u.Username)
		_, err := s.UpdateUser(ctx, viewer(admin), u.Username, account.UserEdit{
			DisplayName: ptr(strings.Repeat("x", 201)), Role: ptr(caseflow.Role("janitor")), AgencyCode: ptr(""),
			Password: ptr("123456789012"), Disabled: ptr(true)})
		require.Equal(t, map[string]string{
			"display_name": "is longer than 200 bytes",
			"role":         "is not a known role",
			"agency_code":  "is required",
			"password":     "must mix letters with digits or symbols",
		}, fields(t, err, caseflow.EInvalid))

		stored, err := env.db.DB.UserByUsername(ctx, u.Username)
		require.NoError(t, err)
		require.False(t, stored.Disabled, "a refused edit changes nothing")
		require.Equal(t, u.PasswordHash, stored.PasswordHash)
		_, err = s.Authenticate(ctx, tok)
		require.NoError(t, err, "a refused edit ends no session")
	})

	t.Run("UnknownAgencyIsAFieldError", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		_, err := s.UpdateUser(ctx, viewer(newUser(t, caseflow.RoleAdmin)), u.Username,
			account.UserEdit{AgencyCode: ptr("NO-SUCH-AGENCY"), Role: ptr(caseflow.RoleSupervisor)})
		require.Contains(t, fields(t, err, caseflow.EInvalid), "agency_code")
		stored, err := env.db.DB.UserByUsername(ctx, u.Username)
		require.NoError(t, err)
		require.Equal(t, caseflow.RoleSocialWorker, stored.Role, "the edit is all or nothing")
	})

	t.Run("AdministratorCannotDisableTheirOwnAccount", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		admin := newUser(t, caseflow.RoleAdmin)
		_, err := s.UpdateUser(ctx, viewer(admin), admin.Username, account.UserEdit{Disabled: ptr(true)})
		require.Contains(t, fields(t, err, caseflow.EInvalid), "disabled")
		login(t, s, admin.Username)
	})

	t.Run("UnknownUserIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		_, err := s.UpdateUser(ctx, viewer(newUser(t, caseflow.RoleAdmin)), "nosuchuser-"+testenv.Suffix(),
			account.UserEdit{DisplayName: ptr("x")})
		require.Equal(t, caseflow.ENotFound, caseflow.ErrorCode(err), "%v", err)
	})

	t.Run("OnlyAdministratorsMay", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		tok := login(t, s, u.Username)
		sup := newUser(t, caseflow.RoleSupervisor)
		_, err := s.UpdateUser(ctx, viewer(sup), u.Username, account.UserEdit{Disabled: ptr(true), Role: ptr(caseflow.RoleAdmin)})
		require.Equal(t, caseflow.EForbidden, caseflow.ErrorCode(err), "%v", err)
		_, err = s.UpdateUser(ctx, viewer(u), u.Username, account.UserEdit{Role: ptr(caseflow.RoleAdmin)})
		require.Equal(t, caseflow.EForbidden, caseflow.ErrorCode(err), "no one makes themselves an administrator: %v", err)

		who, err := s.Authenticate(ctx, tok)
		require.NoError(t, err)
		require.Equal(t, caseflow.RoleSocialWorker, who.Role)
		require.False(t, who.Disabled)
	})
}

func TestUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("ListsEveryAccountWithoutHashes", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		mine := newUser(t, caseflow.RoleSocialWorker)
		us, err := s.Users(ctx, viewer(newUser(t, caseflow.RoleAdmin)))
		require.NoError(t, err)
		seen := map[string]bool{}
		for _, u := range us {
			seen[u.Username] = true
			require.Empty(t, u.PasswordHash, u.Username)
		}
		require.True(t, seen["admin1"], "the demo accounts are listed")
		require.True(t, seen[mine.Username])
	})

	t.Run("OneAccountWithoutItsHash", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		mine := newUser(t, caseflow.RoleSocialWorker)
		u, err := s.User(ctx, viewer(newUser(t, caseflow.RoleAdmin)), mine.Username)
		require.NoError(t, err)
		require.Equal(t, mine.ID, u.ID)
		require.Empty(t, u.PasswordHash)
		_, err = s.User(ctx, viewer(newUser(t, caseflow.RoleAdmin)), "nosuchuser-"+testenv.Suffix())
		require.Equal(t, caseflow.ENotFound, caseflow.ErrorCode(err), "%v", err)
	})

	t.Run("OnlyAdministratorsMay", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		v := viewer(newUser(t, caseflow.RoleSupervisor))
		_, err := s.Users(ctx, v)
		require.Equal(t, caseflow.EForbidden, caseflow.ErrorCode(err), "%v", err)
		_, err = s.User(ctx, v, "admin1")
		require.Equal(t, caseflow.EForbidden, caseflow.ErrorCode(err), "%v", err)
	})
}

func TestAccountsBelongToAgenciesThatActToday(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := service(t)
	admin := newUser(t, caseflow.RoleAdmin)

	t.Run("NoAccountOnAnAgencyThatEnded", func(t *testing.T) {
		n := newAccount()
		n.Role, n.AgencyCode = caseflow.RolePolice, "CA-325" // district police, abolished on 1 March 2025
		_, err := s.CreateUser(ctx, viewer(admin), n)
		require.Contains(t, fields(t, err, caseflow.EInvalid), "agency_code")
		var e *caseflow.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, caseflow.FieldAgencyEnded, e.Fields["agency_code"].Code)
		_, err = env.db.DB.UserByUsername(ctx, n.Username)
		require.Equal(t, caseflow.ENotFound, caseflow.ErrorCode(err), "nothing was written")
	})

	t.Run("NoMoveToAnAgencyThatEnded", func(t *testing.T) {
		u := newUser(t, caseflow.RoleSocialWorker)
		_, err := s.UpdateUser(ctx, viewer(admin), u.Username, account.UserEdit{AgencyCode: ptr("VKS-325")})
		require.Contains(t, fields(t, err, caseflow.EInvalid), "agency_code")
		got, err := env.db.DB.UserByUsername(ctx, u.Username)
		require.NoError(t, err)
		require.Equal(t, "CTXH-33", got.Agency.Code)
	})

	t.Run("AnAccountLeftOnAnEndedAgencyCannotLogIn", func(t *testing.T) {
		name := "district-" + testenv.Suffix()
		hash, err := account.HashPassword(testenv.Password, testenv.FastParams)
		require.NoError(t, err)
		require.NoError(t, env.db.DB.SeedUser(ctx, name, "Điều tra viên huyện cũ (demo)", caseflow.RolePolice, "CA-325", hash))
		_, _, err = s.Login(ctx, name, testenv.Password, "192.0.2.60", "req-ended")
		require.Equal(t, caseflow.EForbidden, caseflow.ErrorCode(err), "%v", err)
		require.Contains(t, err.Error(), "stopped acting on 28 February 2025")
		_, _, err = s.Login(ctx, name, "wrong password", "192.0.2.60", "req-ended-wrong")
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "a wrong password says nothing about the agency")
	})
}
