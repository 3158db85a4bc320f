package web

import (
	"caseflow/internal/caseflow"
	"caseflow/internal/replay"
)

// routes is the route table of the browser interface. Who may open a page
// is the domain's rule (caseflow.Role); the services check it again.
func (w *UI) routes() {
	e := w.echo
	// once makes a form sent again (a double click, a retry after a lost
	// answer) do its change once and answer as the first time; intake keeps
	// its own key.
	once := replay.Middleware(w.cases, w.log, replay.FormKey, replay.KeepSuccess)
	e.GET("/static/:name", w.static)
	e.GET("/sw.js", w.serviceWorker)
	e.GET("/", w.home)
	e.GET("/login", w.loginPage)
	e.POST("/login", w.loginSubmit)
	e.POST("/logout", w.logoutSubmit, w.need(caseflow.Role.Valid))

	reads := w.need(caseflow.Role.ReadsCases)
	acts := w.need(caseflow.Role.ActsOnCases)
	e.GET("/cases", w.caseList, reads)
	e.POST("/cases/search", w.caseList, reads)
	e.GET("/reports/new", w.intakeForm, w.need(w.cases.FilesReports))
	e.POST("/reports", w.intakeSubmit, w.need(w.cases.FilesReports))
	e.GET("/cases/:code", w.casePage, reads)
	e.POST("/cases/:code/events", w.fireSubmit, acts, once)
	e.POST("/cases/:code/referrals", w.referSubmit, acts, once)
	e.POST("/cases/:code/clocks/:clock/extend", w.extendSubmit, acts, once)
	e.POST("/cases/:code/processing", w.processingSubmit, acts, once)
	e.POST("/cases/:code/subject-requests", w.requestSubmit, acts, once)
	// Deciding, exporting and correcting are the service's to allow: it
	// asks for the whole case, whatever the role.
	e.POST("/cases/:code/subject-requests/:id/:decision", w.requestDecide, reads, once)
	e.GET("/cases/:code/subject-requests/:id/export", w.requestExport, reads)
	e.POST("/cases/:code/subject-requests/:id/correction", w.requestCorrect, reads, once)
	e.POST("/referrals/:id/:action", w.referralAnswer, acts, once)
	e.GET("/worklist", w.worklistPage, acts)
	e.GET("/notifications", w.notificationsPage, reads)
	e.POST("/notifications/:id/read", w.notificationRead, reads, once)
	e.POST("/notifications/:id/acknowledge", w.notificationAck, reads, once)
	e.GET("/contacts", w.contactsPage, w.need(caseflow.Role.Valid))
	e.POST("/contacts", w.contactsSubmit, w.need(caseflow.Role.Valid), once)

	compliance := w.need(caseflow.Role.SeesCompliance)
	e.GET("/dashboard", w.dashboard, compliance)
	e.GET("/dashboard/indicators/:id", w.dashboardCases, compliance)
	e.GET("/dashboard/export.:format", w.dashboardExport, compliance)

	admin := w.need(caseflow.Role.Administers)
	e.GET("/admin/users", w.usersPage, admin)
	e.POST("/admin/users", w.userCreate, admin, once)
	e.GET("/admin/users/:username", w.userPage, admin)
	e.POST("/admin/users/:username", w.userUpdate, admin, once)
	e.POST("/admin/grants/:id/:decision", w.grantDecide, admin, once)
	e.GET("/admin/breaches", w.breachesPage, admin)
	e.POST("/admin/breaches", w.breachRecord, admin, once)
	e.POST("/admin/breaches/:id/notified", w.breachNotified, admin, once)
	e.GET("/admin/holidays", w.holidaysPage, admin)
	e.GET("/admin/stuck", w.stuckPage, admin)
	e.GET("/admin/agencies/:code/contacts", w.contactsPage, admin)
	e.POST("/admin/agencies/:code/contacts", w.contactsSubmit, admin, once)
	e.POST("/admin/holidays", w.holidayPut, admin, once)
	e.POST("/admin/holidays/:date/delete", w.holidayDelete, admin, once)
}
