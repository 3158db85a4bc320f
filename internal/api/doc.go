// Package api serves the REST/JSON API on echo: its route table
// (routes.go), the request and response shapes, bearer authentication, the
// JSON error body, and the OpenAPI document. Handlers decode, call one
// service method and respond; the rules are the services'.
package api
