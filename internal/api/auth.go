package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/request"
)

const tokenKey = "token"

// Bearer returns the bearer token of a request, or "".
func Bearer(c echo.Context) string {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// Authenticate resolves the bearer token to a viewer or answers 401.
func (s *API) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		tok := Bearer(c)
		u, err := s.accounts.Authenticate(c.Request().Context(), tok)
		if err != nil {
			return err
		}
		c.Set(tokenKey, tok)
		request.SetViewer(c, caseflow.Viewer{UserID: u.ID, Username: u.Username, Role: u.Role, Agency: u.Agency,
			IP: c.RealIP(), RequestID: request.ID(c)})
		return next(c)
	}
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *API) login(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	fe := caseflow.FieldErrors{}
	requiredText(fe, "username", req.Username, 100)
	requiredText(fe, "password", req.Password, 200)
	if err := fe.Err(); err != nil {
		return err
	}
	sess, _, err := s.accounts.Login(c.Request().Context(), req.Username, req.Password, c.RealIP(), request.ID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, loginResponse{Token: sess.Token, ExpiresAt: local(sess.ExpiresAt)})
}

func (s *API) logout(c echo.Context) error {
	tok, _ := c.Get(tokenKey).(string)
	if err := s.accounts.Logout(c.Request().Context(), request.Viewer(c), tok); err != nil {
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

func (s *API) me(c echo.Context) error {
	v := request.Viewer(c)
	a := v.Agency
	return c.JSON(http.StatusOK, meResponse{Username: v.Username, Role: string(v.Role),
		Agency: agencyJSON{Code: a.Code, Name: a.Name, Type: string(a.Type)},
		Unit:   unitJSON{Code: a.Unit.Code, Name: a.Unit.Name, Level: a.Unit.Level}})
}

// requiredText checks a login credential: present, and at most max bytes.
func requiredText(fe caseflow.FieldErrors, field, v string, max int) {
	msg := fmt.Sprintf("is required (at most %d characters)", max)
	if v == "" {
		fe.Add(field, caseflow.FieldError{Code: caseflow.FieldRequired, Message: msg})
	} else if len(v) > max {
		fe.Add(field, caseflow.FieldError{Code: caseflow.FieldTooLong, Message: msg, Max: max})
	}
}
