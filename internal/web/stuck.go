package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"caseflow/internal/request"
)

type stuckView struct {
	Items []stuckRow
}

type stuckRow struct {
	Kind, Item, CaseCode, Failures, Error, Since, Next string
}

// stuckPage lists the items the worker set aside after they failed.
func (w *UI) stuckPage(c echo.Context) error {
	items, err := w.cases.StuckItems(c.Request().Context(), request.Viewer(c))
	if err != nil {
		return err
	}
	view := stuckView{}
	for _, it := range items {
		view.Items = append(view.Items, stuckRow{Kind: it.Kind, Item: strconv.FormatInt(it.ID, 10), CaseCode: it.CaseCode,
			Failures: strconv.Itoa(it.Failures), Error: it.LastError, Since: formTime(it.FirstFailedAt), Next: formTime(it.NextAttemptAt)})
	}
	return w.render(c, http.StatusOK, "stuck", tr(langOf(c), "stuck.heading"), view)
}
