package api

import (
	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/replay"
)

// Routes mounts the API's route table on g (the server mounts it at
// /api/v1). Every route but login needs a bearer token; role checks beyond
// administration are the services' own.
func (s *API) Routes(g *echo.Group) {
	auth, admin := s.Authenticate, RequireRole(caseflow.RoleAdmin)
	// once serves a write sent with an Idempotency-Key once, and its
	// retries the same answer (intake keeps its own key, claimed inside its
	// transaction).
	once := replay.Middleware(s.cases, s.log, replay.HeaderKey, replay.KeepAnswers)
	g.Use(RequireText)

	g.POST("/auth/login", s.login)
	g.POST("/auth/logout", s.logout, auth)
	g.GET("/me", s.me, auth)

	g.POST("/reports", s.fileReport, auth)
	g.GET("/cases", s.listCases, auth)
	g.GET("/cases/:code", s.getCase, auth)
	g.POST("/cases/:code/events", s.fireEvent, auth, once)
	g.GET("/cases/:code/history", s.caseHistory, auth)
	g.GET("/cases/:code/clocks", s.listClocks, auth)
	g.POST("/cases/:code/clocks/:clock/extensions", s.extendClock, auth, once)
	g.GET("/cases/:code/reads", s.caseReads, auth)
	g.GET("/cases/:code/subject-requests", s.listSubjectRequests, auth)
	g.POST("/cases/:code/subject-requests", s.addSubjectRequest, auth, once)
	g.POST("/cases/:code/subject-requests/:id/:decision", s.decideSubjectRequest, auth, once)
	g.GET("/cases/:code/subject-requests/:id/export", s.exportSubjectRequest, auth)
	g.POST("/cases/:code/subject-requests/:id/correction", s.correctChild, auth, once)
	g.GET("/cases/:code/processing", s.getProcessing, auth)
	g.PUT("/cases/:code/processing", s.putProcessing, auth, once)
	g.GET("/cases/:code/referrals", s.listReferrals, auth)
	g.POST("/cases/:code/referrals", s.createReferral, auth, once)
	g.POST("/referrals/:id/:action", s.answerReferral, auth, once)
	g.GET("/workflows", s.listWorkflows, auth)
	g.GET("/worklist", s.worklist, auth)
	g.GET("/notifications", s.listNotifications, auth)
	g.POST("/notifications/:id/read", s.readNotification, auth, once)
	g.POST("/notifications/:id/acknowledge", s.acknowledgeNotification, auth, once)
	g.GET("/me/contacts", s.getContacts, auth)
	g.PUT("/me/contacts", s.putContacts, auth, once)

	g.GET("/compliance", s.compliance, auth)
	g.GET("/compliance/export.csv", s.complianceExport(casework.FormatCSV), auth)
	g.GET("/compliance/export.xlsx", s.complianceExport(casework.FormatXLSX), auth)
	g.GET("/compliance/export.pdf", s.complianceExport(casework.FormatPDF), auth)
	g.GET("/compliance/:id/cases", s.complianceCases, auth)

	g.GET("/units", s.listUnits, auth)
	g.GET("/jurisdiction", s.listJurisdiction, auth)
	g.POST("/jurisdiction", s.addJurisdiction, auth, admin, once)
	g.PATCH("/jurisdiction/:id", s.editJurisdiction, auth, admin, once)
	g.DELETE("/jurisdiction/:id", s.withdrawJurisdiction, auth, admin, once)
	g.GET("/holidays", s.listHolidays, auth)
	g.PUT("/holidays/:date", s.putHoliday, auth, admin, once)
	g.DELETE("/holidays/:date", s.deleteHoliday, auth, admin, once)
	g.GET("/admin/users", s.listUsers, auth, admin)
	g.POST("/admin/users", s.createUser, auth, admin, once)
	g.PATCH("/admin/users/:username", s.updateUser, auth, admin, once)
	g.GET("/admin/grants", s.listGrants, auth, admin)
	g.GET("/admin/breaches", s.listBreaches, auth, admin)
	g.POST("/admin/breaches", s.recordBreach, auth, admin, once)
	g.POST("/admin/breaches/:id/notified", s.breachNotified, auth, admin, once)
	g.POST("/admin/grants/:id/:decision", s.decideGrant, auth, admin, once)
	g.GET("/admin/agencies/:code/contacts", s.getContacts, auth, admin)
	g.PUT("/admin/agencies/:code/contacts", s.putContacts, auth, admin, once)
}
