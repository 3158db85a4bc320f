package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"

	"caseflow/internal/caseflow"
)

// Store is the storage the login flow needs.
type Store interface {
	UserByUsername(ctx context.Context, username string) (*caseflow.User, error)
	CreateSession(ctx context.Context, v caseflow.Viewer, tokenHash []byte, expiresAt time.Time) error
	SessionViewer(ctx context.Context, tokenHash []byte) (*caseflow.User, error)
	RevokeSession(ctx context.Context, v caseflow.Viewer, tokenHash []byte) error
	AuditLoginFailure(ctx context.Context, v caseflow.Viewer, reason string) error
	AdminStore
}

// Limiter counts attempts in fixed windows; Redis backs it in production so
// that every API process shares the counts.
type Limiter interface {
	// Allow records one attempt under key and reports whether it is within
	// limit attempts per window.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)
	// Reset forgets the attempts under key.
	Reset(ctx context.Context, key string) error
}

// Service logs people in and out and resolves bearer tokens.
type Service struct {
	Store   Store
	Limiter Limiter
	// Secret keys the token hash, so a copy of the sessions table is useless.
	Secret []byte
	// TTL is how long a session lives; default 8 hours.
	TTL time.Duration
	// AccountLimit is failed logins allowed per account per Window; default 5.
	AccountLimit int
	// IPLimit is logins allowed per client address per Window; default 30.
	IPLimit int
	// Window is the rate-limit window; default 15 minutes.
	Window time.Duration
	// Now is the time source.
	Now func() time.Time
	// Params are the argon2id costs for the decoy comparison.
	Params Params

	decoy string
	once  sync.Once
}

// defaults fills in unset fields once, before first use.
func (s *Service) defaults() { s.once.Do(s.setDefaults) }

func (s *Service) setDefaults() {
	if s.TTL == 0 {
		s.TTL = 8 * time.Hour
	}
	if s.AccountLimit == 0 {
		s.AccountLimit = 5
	}
	if s.IPLimit == 0 {
		s.IPLimit = 30
	}
	if s.Window == 0 {
		s.Window = 15 * time.Minute
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Params.Time == 0 {
		s.Params = DefaultParams
	}
	if s.decoy == "" {
		s.decoy, _ = HashPassword("decoy password that never matches", s.Params)
	}
}

// TokenHash returns the keyed hash under which a token is stored.
func (s *Service) TokenHash(token string) []byte {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte(token))
	return m.Sum(nil)
}

var errLogin = caseflow.Errorf(caseflow.EUnauthorized, "wrong username or password")

// Login checks a username and password and opens a session. Unknown users,
// wrong passwords and disabled accounts get the same answer, after the same
// work.
func (s *Service) Login(ctx context.Context, username, password, ip, requestID string) (*caseflow.Session, *caseflow.User, error) {
	s.defaults()
	if ok, err := s.Limiter.Allow(ctx, "login:ip:"+ip, s.IPLimit, s.Window); err != nil {
		return nil, nil, err
	} else if !ok {
		e := caseflow.Errorf(caseflow.ERateLimited, "too many login attempts from this address; try again later")
		e.RetryAfter = s.Window // the window's end, at the latest
		return nil, nil, e
	}
	if ok, err := s.Limiter.Allow(ctx, "login:user:"+username, s.AccountLimit, s.Window); err != nil {
		return nil, nil, err
	} else if !ok {
		e := caseflow.Errorf(caseflow.ERateLimited, "too many login attempts for this account; try again later")
		e.RetryAfter = s.Window
		return nil, nil, e
	}
	u, err := s.Store.UserByUsername(ctx, username)
	if caseflow.ErrorCode(err) == caseflow.ENotFound {
		_, _ = CheckPassword(password, s.decoy)
		return nil, nil, errLogin
	}
	if err != nil {
		return nil, nil, err
	}
	v := caseflow.Viewer{UserID: u.ID, Username: u.Username, Role: u.Role, Agency: u.Agency, IP: ip, RequestID: requestID}
	ok, err := CheckPassword(password, u.PasswordHash)
	if err != nil || !ok || u.Disabled {
		reason := "wrong password"
		if u.Disabled {
			reason = "account disabled"
		}
		if aerr := s.Store.AuditLoginFailure(ctx, v, reason); aerr != nil {
			return nil, nil, aerr
		}
		return nil, nil, errLogin
	}
	if !u.Agency.ActsOn(s.Now()) {
		// The right password, but the agency no longer acts (a district
		// police force, a former commune): say so, so that the person asks
		// for their account to be moved.
		if aerr := s.Store.AuditLoginFailure(ctx, v, "agency ended"); aerr != nil {
			return nil, nil, aerr
		}
		return nil, nil, caseflow.Errorf(caseflow.EForbidden, "%s: ask an administrator to move your account to an agency that acts today",
			u.Agency.WhyNotActing(s.Now()))
	}
	if u.AwaitingApproval {
		// The right password, but the account's role reads children's
		// personal data and a second administrator has not approved it.
		if aerr := s.Store.AuditLoginFailure(ctx, v, "awaiting approval"); aerr != nil {
			return nil, nil, aerr
		}
		return nil, nil, caseflow.Errorf(caseflow.EForbidden, "the account waits for a second administrator's approval")
	}
	_ = s.Limiter.Reset(ctx, "login:user:"+username)
	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		return nil, nil, err
	}
	sess := &caseflow.Session{Token: base64.RawURLEncoding.EncodeToString(tok), ExpiresAt: s.Now().Add(s.TTL).UTC()}
	if err := s.Store.CreateSession(ctx, v, s.TokenHash(sess.Token), sess.ExpiresAt); err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// Authenticate returns the user behind a bearer token.
func (s *Service) Authenticate(ctx context.Context, token string) (*caseflow.User, error) {
	if token == "" {
		return nil, caseflow.Errorf(caseflow.EUnauthorized, "log in first: no bearer token")
	}
	u, err := s.Store.SessionViewer(ctx, s.TokenHash(token))
	if err != nil {
		return nil, err
	}
	s.defaults()
	if !u.Agency.ActsOn(s.Now()) {
		return nil, caseflow.Errorf(caseflow.EUnauthorized, "your agency no longer acts: log in again")
	}
	return u, nil
}

// Logout ends the session of a token.
func (s *Service) Logout(ctx context.Context, v caseflow.Viewer, token string) error {
	return s.Store.RevokeSession(ctx, v, s.TokenHash(token))
}

// Hash hashes a new password with the service's parameters.
func (s *Service) Hash(password string) (string, error) {
	s.defaults()
	return HashPassword(password, s.Params)
}
