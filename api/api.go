// Package api holds the OpenAPI description of the HTTP API that dinie serves.
package api

import _ "embed"

// Spec is api/openapi.yaml: the OpenAPI 3.1 document describing every operation the server serves,
// embedded at build time. The server returns it at GET /api/v3/openapi.yaml, and
// internal/openapitest checks responses against it. Callers must not modify it.
//
//go:embed openapi.yaml
var Spec []byte
