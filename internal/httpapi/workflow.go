package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

type fieldJSON struct {
	Name        string                    `json:"name"`
	Label       workflow.Label            `json:"label"`
	Type        string                    `json:"type"`
	Required    bool                      `json:"required"`
	Values      []string                  `json:"values,omitempty"`
	ValueLabels map[string]workflow.Label `json:"value_labels,omitempty"`
}

type availableEvent struct {
	Name   string         `json:"name"`
	Label  workflow.Label `json:"label"`
	To     string         `json:"to"`
	Fields []fieldJSON    `json:"fields"`
}

// availableEvents lists the events the viewer may fire on the case now.
func (s *Server) availableEvents(c *caseflow.Case, v caseflow.Viewer) []availableEvent {
	out := []availableEvent{}
	if c.Access == caseflow.AccessSummary || c.Access == "" {
		return out
	}
	def, ok := s.flows.Get(c.WorkflowID, c.WorkflowVersion)
	if !ok {
		return out
	}
	for _, ev := range def.Available(c.State, v.Role) {
		if referralEvent[ev.ID] {
			continue
		}
		a := availableEvent{Name: ev.ID, Label: ev.Label, To: ev.Destination(c.State), Fields: []fieldJSON{}}
		for _, f := range ev.Fields {
			a.Fields = append(a.Fields, fieldJSON{Name: f.Name, Label: f.Label, Type: string(f.Type), Required: f.Required,
				Values: f.Values, ValueLabels: f.ValueLabels})
		}
		out = append(out, a)
	}
	return out
}

// referralEvent names the workflow events driven by the referrals endpoints.
var referralEvent = map[string]bool{"refer_service": true, "accept_service_referral": true, "decline_service_referral": true}

func (s *Server) routesWorkflow(api *echo.Group, auth echo.MiddlewareFunc) {
	api.GET("/workflows", s.listWorkflows, auth)
	api.POST("/cases/:code/events", s.fireEvent, auth)
	api.GET("/cases/:code/history", s.caseHistory, auth)
	api.GET("/worklist", s.worklist, auth)
	api.GET("/cases/:code/referrals", s.listReferrals, auth)
	api.POST("/cases/:code/referrals", s.createReferral, auth)
	api.POST("/referrals/:id/:action", s.answerReferral, auth)
	api.GET("/cases/:code/clocks", s.listClocks, auth)
	api.POST("/cases/:code/clocks/:clock/extensions", s.extendClock, auth)
	api.GET("/notifications", s.listNotifications, auth)
	api.POST("/notifications/:id/read", s.readNotification, auth)
}

func (s *Server) listWorkflows(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"workflows": s.flows.All()})
}
