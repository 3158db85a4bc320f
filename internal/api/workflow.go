package api

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
func (s *API) availableEvents(c *caseflow.Case, v caseflow.Viewer) []availableEvent {
	out := []availableEvent{}
	for _, ev := range s.cases.AvailableEvents(c, v) {
		a := availableEvent{Name: ev.ID, Label: ev.Label, To: ev.Destination(c.State), Fields: []fieldJSON{}}
		for _, f := range ev.Fields {
			a.Fields = append(a.Fields, fieldJSON{Name: f.Name, Label: f.Label, Type: string(f.Type), Required: f.Required,
				Values: f.Values, ValueLabels: f.ValueLabels})
		}
		out = append(out, a)
	}
	return out
}

func (s *API) listWorkflows(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"workflows": s.flows.All()})
}
