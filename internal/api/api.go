package api

import (
	_ "embed"
	"log/slog"

	"caseflow/internal/account"
	"caseflow/internal/casework"
	"caseflow/internal/workflow"
)

//go:embed openapi.yaml
var openapiDoc []byte

// OpenAPI returns the OpenAPI document of the API.
func OpenAPI() []byte { return openapiDoc }

// API is the REST/JSON API: handlers that decode a request, make one call
// to a service and write its answer.
type API struct {
	accounts *account.Service
	cases    *casework.Service
	flows    *workflow.Registry
	log      *slog.Logger
}

// Config is what the API is built from.
type Config struct {
	Accounts  *account.Service
	Cases     *casework.Service
	Workflows *workflow.Registry
	// Log receives internal errors; default: discarded.
	Log *slog.Logger
}

// New builds the API.
func New(cfg Config) *API {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &API{accounts: cfg.Accounts, cases: cfg.Cases, flows: cfg.Workflows, log: cfg.Log}
}
