package httpapi

import (
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/account"
	"caseflow/internal/caseflow"
	"caseflow/internal/postgres"
)

// requireRole lets only the given role through.
func requireRole(role caseflow.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if viewer(c).Role != role {
				return caseflow.Errorf(caseflow.EForbidden, "only %s users may do this", role)
			}
			return next(c)
		}
	}
}

func (s *Server) routesAdmin(api *echo.Group, auth echo.MiddlewareFunc) {
	admin := requireRole(caseflow.RoleAdmin)
	api.GET("/admin/users", s.listUsers, auth, admin)
	api.POST("/admin/users", s.createUser, auth, admin)
	api.PATCH("/admin/users/:username", s.updateUser, auth, admin)
	api.GET("/holidays", s.listHolidays, auth)
	api.PUT("/holidays/:date", s.putHoliday, auth, admin)
	api.DELETE("/holidays/:date", s.deleteHoliday, auth, admin)
}

type userJSON struct {
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Role        string     `json:"role"`
	Agency      agencyJSON `json:"agency"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"created_at"`
}

func toUserJSON(u *caseflow.User) userJSON {
	return userJSON{Username: u.Username, DisplayName: u.DisplayName, Role: string(u.Role), Disabled: u.Disabled,
		Agency:    agencyJSON{Code: u.Agency.Code, Name: u.Agency.Name, Type: string(u.Agency.Type)},
		CreatedAt: local(u.CreatedAt)}
}

func (s *Server) listUsers(c echo.Context) error {
	us, err := s.cases.DB.Users(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]userJSON, 0, len(us))
	for _, u := range us {
		out = append(out, toUserJSON(u))
	}
	return c.JSON(http.StatusOK, map[string]any{"users": out})
}

var usernameRE = regexp.MustCompile(`^[a-z][a-z0-9._-]{2,39}$`)

type createUserRequest struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	AgencyCode  string `json:"agency_code"`
	Password    string `json:"password"`
}

func (s *Server) createUser(c echo.Context) error {
	var req createUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	fe := caseflow.FieldErrors{}
	if !usernameRE.MatchString(req.Username) {
		fe.Add("username", "must be 3–40 lowercase letters, digits, '.', '_' or '-', starting with a letter")
	}
	if !caseflow.Role(req.Role).Valid() {
		fe.Add("role", "is not a known role")
	}
	if req.AgencyCode == "" {
		fe.Add("agency_code", "is required")
	}
	if len(req.DisplayName) > 200 {
		fe.Add("display_name", "is longer than 200 bytes")
	}
	if msg := account.CheckNewPassword(req.Password); msg != "" {
		fe.Add("password", msg)
	}
	if err := fe.Err(); err != nil {
		return err
	}
	hash, err := s.accounts.Hash(req.Password)
	if err != nil {
		return err
	}
	u := &caseflow.User{Username: req.Username, DisplayName: req.DisplayName, Role: caseflow.Role(req.Role),
		Agency: caseflow.Agency{Code: req.AgencyCode}}
	if err := s.cases.DB.CreateUser(c.Request().Context(), viewer(c), u, hash); err != nil {
		return err
	}
	created, err := s.cases.DB.UserByUsername(c.Request().Context(), req.Username)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toUserJSON(created))
}

type updateUserRequest struct {
	DisplayName *string `json:"display_name"`
	Role        *string `json:"role"`
	AgencyCode  *string `json:"agency_code"`
	Disabled    *bool   `json:"disabled"`
	Password    *string `json:"password"`
}

func (s *Server) updateUser(c echo.Context) error {
	var req updateUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	fe := caseflow.FieldErrors{}
	up := postgres.UserUpdate{DisplayName: req.DisplayName, AgencyCode: req.AgencyCode, Disabled: req.Disabled}
	if req.Role != nil {
		r := caseflow.Role(*req.Role)
		if !r.Valid() {
			fe.Add("role", "is not a known role")
		}
		up.Role = &r
	}
	if req.Password != nil {
		if msg := account.CheckNewPassword(*req.Password); msg != "" {
			fe.Add("password", msg)
		} else {
			hash, err := s.accounts.Hash(*req.Password)
			if err != nil {
				return err
			}
			up.PasswordHash = &hash
		}
	}
	if req.Disabled != nil && *req.Disabled && c.Param("username") == viewer(c).Username {
		fe.Add("disabled", "you cannot disable your own account")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if err := s.cases.DB.UpdateUser(c.Request().Context(), viewer(c), c.Param("username"), up); err != nil {
		return err
	}
	u, err := s.cases.DB.UserByUsername(c.Request().Context(), c.Param("username"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUserJSON(u))
}

type holidayJSON struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

func (s *Server) listHolidays(c echo.Context) error {
	hs, err := s.cases.DB.Holidays(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]holidayJSON, 0, len(hs))
	for _, h := range hs {
		out = append(out, holidayJSON{Date: h.Date.Format("2006-01-02"), Name: h.Name})
	}
	return c.JSON(http.StatusOK, map[string]any{"holidays": out})
}

func holidayDate(c echo.Context) (time.Time, error) {
	d, err := time.Parse("2006-01-02", c.Param("date"))
	if err != nil {
		return d, &caseflow.Error{Code: caseflow.EInvalid, Message: "the request has invalid fields", Fields: map[string]string{"date": "must be YYYY-MM-DD"}}
	}
	return d, nil
}

func (s *Server) putHoliday(c echo.Context) error {
	d, err := holidayDate(c)
	if err != nil {
		return err
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Name == "" || len(req.Name) > 200 {
		return &caseflow.Error{Code: caseflow.EInvalid, Message: "the request has invalid fields", Fields: map[string]string{"name": "is required (at most 200 bytes)"}}
	}
	if err := s.cases.DB.PutHoliday(c.Request().Context(), viewer(c), d, req.Name); err != nil {
		return err
	}
	s.cases.ForgetCalendar()
	return c.JSON(http.StatusOK, holidayJSON{Date: d.Format("2006-01-02"), Name: req.Name})
}

func (s *Server) deleteHoliday(c echo.Context) error {
	d, err := holidayDate(c)
	if err != nil {
		return err
	}
	if err := s.cases.DB.DeleteHoliday(c.Request().Context(), viewer(c), d); err != nil {
		return err
	}
	s.cases.ForgetCalendar()
	return c.NoContent(http.StatusNoContent)
}
