package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
)

const (
	viewerKey = "viewer"
	tokenKey  = "token"
)

func bearer(c echo.Context) string {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticate resolves the bearer token to a viewer or answers 401.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		tok := bearer(c)
		u, err := s.accounts.Authenticate(c.Request().Context(), tok)
		if err != nil {
			return err
		}
		c.Set(tokenKey, tok)
		c.Set(viewerKey, caseflow.Viewer{UserID: u.ID, Username: u.Username, Role: u.Role, Agency: u.Agency,
			IP: c.RealIP(), RequestID: requestID(c)})
		return next(c)
	}
}

func viewer(c echo.Context) caseflow.Viewer {
	v, _ := c.Get(viewerKey).(caseflow.Viewer)
	return v
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) login(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	fe := caseflow.FieldErrors{}
	if req.Username == "" || len(req.Username) > 100 {
		fe.Add("username", "is required (at most 100 characters)")
	}
	if req.Password == "" || len(req.Password) > 200 {
		fe.Add("password", "is required (at most 200 characters)")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	sess, _, err := s.accounts.Login(c.Request().Context(), req.Username, req.Password, c.RealIP(), requestID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, loginResponse{Token: sess.Token, ExpiresAt: local(sess.ExpiresAt)})
}

func (s *Server) logout(c echo.Context) error {
	tok, _ := c.Get(tokenKey).(string)
	if err := s.accounts.Logout(c.Request().Context(), viewer(c), tok); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type agencyJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Type string `json:"type"`
}

type unitJSON struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level string `json:"level"`
}

type meResponse struct {
	Username string     `json:"username"`
	Role     string     `json:"role"`
	Agency   agencyJSON `json:"agency"`
	Unit     unitJSON   `json:"unit"`
}

func (s *Server) me(c echo.Context) error {
	v := viewer(c)
	a := v.Agency
	return c.JSON(http.StatusOK, meResponse{Username: v.Username, Role: string(v.Role),
		Agency: agencyJSON{Code: a.Code, Name: a.Name, Type: string(a.Type)},
		Unit:   unitJSON{Code: a.Unit.Code, Name: a.Unit.Name, Level: a.Unit.Level}})
}
