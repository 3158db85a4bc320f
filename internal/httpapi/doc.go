// Package httpapi serves the REST/JSON API on echo: the route table, the
// request and response shapes, authentication, the mapping of error codes to
// HTTP statuses, request logs and metrics, and the OpenAPI document.
package httpapi
