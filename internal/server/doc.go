// Package server composes the HTTP server of the service: the API (package
// api) under /api/v1, the operations endpoints (/healthz, /readyz, /metrics,
// the OpenAPI document), the read-only queue monitor for administrators, and
// the web interface (package web) for every other path, behind one set of
// middleware: request ids, a log line and metrics per request, panic
// recovery and the body limit.
package server
