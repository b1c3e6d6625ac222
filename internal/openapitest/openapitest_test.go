package openapitest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hdr returns the headers every API response carries, with Content-Type ct (none when empty), then
// applies the name/value pairs of kv; an empty value deletes the header.
func hdr(ct string, kv ...string) http.Header {
	h := http.Header{}
	h.Set("X-Request-Id", "req_8f2a61c0b7d94e35a1c4e0b2d6f7a913")
	h.Set("X-RateLimit-Limit", "100")
	h.Set("X-RateLimit-Remaining", "99")
	h.Set("X-RateLimit-Reset", "1775253599")
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			h.Del(kv[i])
		} else {
			h.Set(kv[i], kv[i+1])
		}
	}
	return h
}

const (
	jsonCT    = "application/json"
	problemCT = "application/problem+json"

	credential = `{"id":"dinie_ci_test_abc","client_id":"dinie_ci_test_abc","name":"Key","status":"active",` +
		`"last_used_at":null,"expires_at":1803945600,"created_at":1775253599,"updated_at":1775253599}`
	credentialNoLastUsed = `{"id":"dinie_ci_test_abc","client_id":"dinie_ci_test_abc","name":"Key","status":"active",` +
		`"expires_at":null,"created_at":1775253599,"updated_at":1775253599}`
	credentialWithSecret = `{"id":"dinie_ci_live_abc","client_id":"dinie_ci_live_abc","client_secret":"dinie_cs_live_XyZ123",` +
		`"name":"Key","status":"active","last_used_at":null,"expires_at":null,"created_at":1775253599,"updated_at":1775253599}`
	token = `{"access_token":"dinie_at_abc123","token_type":"Bearer","expires_in":3600}`
)

func problem(typ string, status int, code string) string {
	return fmt.Sprintf(`{"type":"https://docs.dinie.com/errors/%s","title":"T","status":%d,"detail":"d","code":%q,"request_id":"req_1"}`,
		typ, status, code)
}

func TestValidateResponse(t *testing.T) {
	t.Parallel()
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		method  string
		path    string
		status  int
		header  http.Header
		body    string
		wantErr string // substring of the error; "" when the response is valid
	}{
		// The token endpoint.
		{"token", "POST", "/api/v3/auth/token", 200, hdr(jsonCT), token, ""},
		{"token under /v3", "POST", "/v3/auth/token", 200, hdr(jsonCT), token, ""},
		{"token with charset", "POST", "/api/v3/auth/token", 200, hdr("application/json; charset=utf-8"), token, ""},
		{"token_type lowercase", "POST", "/api/v3/auth/token", 200, hdr(jsonCT),
			`{"access_token":"dinie_at_abc123","token_type":"bearer","expires_in":3600}`, "token_type"},
		{"access_token without prefix", "POST", "/api/v3/auth/token", 200, hdr(jsonCT),
			`{"access_token":"abc","token_type":"Bearer","expires_in":3600}`, "access_token"},
		{"expires_in as string", "POST", "/api/v3/auth/token", 200, hdr(jsonCT),
			`{"access_token":"dinie_at_abc123","token_type":"Bearer","expires_in":"3600"}`, "expires_in"},
		{"token extra field", "POST", "/api/v3/auth/token", 200, hdr(jsonCT),
			`{"access_token":"dinie_at_abc123","token_type":"Bearer","expires_in":3600,"scope":"x"}`, "scope"},
		{"bad client", "POST", "/api/v3/auth/token", 401, hdr(problemCT), problem("authentication-failed", 401, "invalid_client"), ""},
		{"unsupported grant", "POST", "/api/v3/auth/token", 400, hdr(problemCT), problem("invalid-request", 400, "unsupported_grant_type"), ""},
		{"token 422 is undocumented", "POST", "/api/v3/auth/token", 422, hdr(problemCT), problem("validation-failed", 422, "invalid_field"), "undocumented response"},

		// Credentials.
		{"create credential", "POST", "/api/v3/auth/credentials", 201, hdr(jsonCT), credentialWithSecret, ""},
		{"create credential replayed", "POST", "/api/v3/auth/credentials", 201, hdr(jsonCT, "Idempotent-Replayed", "true"), credentialWithSecret, ""},
		{"replayed header not true", "POST", "/api/v3/auth/credentials", 201, hdr(jsonCT, "Idempotent-Replayed", "yes"), credentialWithSecret, "Idempotent-Replayed"},
		{"create credential without secret", "POST", "/api/v3/auth/credentials", 201, hdr(jsonCT), credential, "client_secret"},
		{"list credentials", "GET", "/api/v3/auth/credentials?limit=2", 200, hdr(jsonCT), `{"data":[` + credential + `],"has_more":true}`, ""},
		{"list credentials empty", "GET", "/v3/auth/credentials", 200, hdr(jsonCT), `{"data":[],"has_more":false}`, ""},
		{"list item without last_used_at", "GET", "/api/v3/auth/credentials", 200, hdr(jsonCT), `{"data":[` + credentialNoLastUsed + `],"has_more":false}`, "last_used_at"},
		{"list item with secret", "GET", "/api/v3/auth/credentials", 200, hdr(jsonCT), `{"data":[` + credentialWithSecret + `],"has_more":false}`, "client_secret"},
		{"list envelope extra field", "GET", "/api/v3/auth/credentials", 200, hdr(jsonCT), `{"object":"list","data":[],"has_more":false}`, "object"},
		{"list envelope without has_more", "GET", "/api/v3/auth/credentials", 200, hdr(jsonCT), `{"data":[]}`, "has_more"},
		{"bad limit", "GET", "/api/v3/auth/credentials", 422, hdr(problemCT),
			`{"type":"https://docs.dinie.com/errors/validation-failed","title":"Validation failed","status":422,"detail":"limit must be 1..100",` +
				`"code":"invalid_parameter","request_id":"req_1","errors":[{"param":"limit","detail":"too large","code":"invalid_parameter"}]}`, ""},
		{"field error without param", "GET", "/api/v3/auth/credentials", 422, hdr(problemCT),
			`{"type":"https://docs.dinie.com/errors/validation-failed","title":"V","status":422,"detail":"d",` +
				`"code":"invalid_parameter","request_id":"req_1","errors":[{"detail":"too large"}]}`, "param"},
		{"unknown status", "GET", "/api/v3/auth/credentials", 418, hdr(problemCT), problem("invalid-request", 400, "invalid_request"), "undocumented response"},
		{"revoke", "DELETE", "/api/v3/auth/credentials/dinie_ci_test_abc", 204, hdr(""), "", ""},
		{"revoke under /v3", "DELETE", "/v3/auth/credentials/dinie_ci_test_abc", 204, hdr(""), "", ""},
		{"revoke with body", "DELETE", "/api/v3/auth/credentials/dinie_ci_test_abc", 204, hdr(jsonCT), `{}`, "without a body"},
		{"revoke unknown", "DELETE", "/api/v3/auth/credentials/dinie_ci_test_abc", 404, hdr(problemCT), problem("not-found", 404, "credential_not_found"), ""},
		{"revoke last", "DELETE", "/api/v3/auth/credentials/dinie_ci_test_abc", 409, hdr(problemCT), problem("conflict", 409, "last_active_credential"), ""},
		{"revoke empty id", "DELETE", "/api/v3/auth/credentials/", 204, hdr(""), "", "undocumented response"},
		{"get one credential is undocumented", "GET", "/api/v3/auth/credentials/dinie_ci_test_abc", 200, hdr(jsonCT), credential, "undocumented response"},

		// Problems.
		{"problem unknown code", "GET", "/api/v3/banks", 401, hdr(problemCT), problem("authentication-failed", 401, "bad_token"), "code"},
		{"problem unknown type", "GET", "/api/v3/banks", 401, hdr(problemCT), problem("unauthorized", 401, "invalid_token"), "type"},
		{"problem type of another status", "GET", "/api/v3/banks", 401, hdr(problemCT), problem("not-found", 401, "invalid_token"), "type"},
		{"problem status differs from response", "GET", "/api/v3/banks", 401, hdr(problemCT), problem("forbidden", 403, "forbidden"), "status"},
		{"problem without request_id", "GET", "/api/v3/banks", 401, hdr(problemCT),
			`{"type":"https://docs.dinie.com/errors/authentication-failed","title":"T","status":401,"detail":"d","code":"missing_token"}`, "request_id"},
		{"problem as application/json", "GET", "/api/v3/banks", 401, hdr(jsonCT), problem("authentication-failed", 401, "missing_token"), "not documented"},
		{"rate limited", "GET", "/api/v3/banks", 429, hdr(problemCT, "Retry-After", "2"), problem("rate-limit-exceeded", 429, "rate_limit_exceeded"), ""},
		{"rate limited without Retry-After", "GET", "/api/v3/banks", 429, hdr(problemCT), problem("rate-limit-exceeded", 429, "rate_limit_exceeded"), "Retry-After"},
		{"internal error", "POST", "/api/v3/auth/credentials", 500, hdr(problemCT), problem("internal", 500, "internal_error"), ""},
		{"method not allowed", "PUT", "/api/v3/banks", 405, hdr(problemCT, "Allow", "GET, HEAD"), problem("invalid-request", 405, "method_not_allowed"), ""},
		{"method not allowed as text", "PUT", "/api/v3/banks", 405, hdr("text/plain; charset=utf-8"), "Method Not Allowed\n", "text/plain"},
		{"undocumented method", "PUT", "/api/v3/banks", 200, hdr(jsonCT), `{"data":[]}`, "undocumented response"},

		// Headers.
		{"missing X-Request-Id", "GET", "/api/v3/banks", 200, hdr(jsonCT, "X-Request-Id", ""), `{"data":[]}`, "X-Request-Id"},
		{"missing X-RateLimit-Reset", "GET", "/api/v3/banks", 200, hdr(jsonCT, "X-RateLimit-Reset", ""), `{"data":[]}`, "X-RateLimit-Reset"},
		{"X-RateLimit-Remaining not a number", "GET", "/api/v3/banks", 200, hdr(jsonCT, "X-RateLimit-Remaining", "many"), `{"data":[]}`, "X-RateLimit-Remaining"},
		{"X-RateLimit-Limit negative", "GET", "/api/v3/banks", 200, hdr(jsonCT, "X-RateLimit-Limit", "-1"), `{"data":[]}`, "X-RateLimit-Limit"},

		// Banks.
		{"banks", "GET", "/api/v3/banks", 200, hdr(jsonCT), `{"data":[{"id":"001","name":"Banco do Brasil","display_name":"001 - Banco do Brasil"}]}`, ""},
		{"banks HEAD", "HEAD", "/api/v3/banks", 200, hdr(jsonCT), "", ""},
		{"bank id not three digits", "GET", "/api/v3/banks", 200, hdr(jsonCT), `{"data":[{"id":"1","name":"B","display_name":"1 - B"}]}`, "id"},
		{"bank without display_name", "GET", "/api/v3/banks", 200, hdr(jsonCT), `{"data":[{"id":"001","name":"B"}]}`, "display_name"},
		{"banks paginated", "GET", "/api/v3/banks", 200, hdr(jsonCT), `{"data":[],"has_more":false}`, "has_more"},
		{"banks empty body", "GET", "/api/v3/banks", 200, hdr(jsonCT), "", "empty"},
		{"banks not JSON", "GET", "/api/v3/banks", 200, hdr(jsonCT), `{"data":[`, "not valid JSON"},
		{"banks without Content-Type", "GET", "/api/v3/banks", 200, hdr(""), `{"data":[]}`, "Content-Type"},

		// Paths.
		{"unknown path", "GET", "/api/v3/nope", 200, hdr(jsonCT), `{}`, "undocumented response"},
		{"no prefix", "GET", "/banks", 200, hdr(jsonCT), `{"data":[]}`, "undocumented response"},
		{"other prefix", "GET", "/api/v2/banks", 200, hdr(jsonCT), `{"data":[]}`, "undocumented response"},
		{"prefix only", "GET", "/api/v3", 200, hdr(jsonCT), `{}`, "undocumented response"},
		{"trailing slash", "GET", "/api/v3/banks/", 200, hdr(jsonCT), `{"data":[]}`, "undocumented response"},

		// Extensions and operational endpoints.
		{"openapi document", "GET", "/api/v3/openapi.yaml", 200, hdr("application/yaml"), "openapi: 3.1.0\n", ""},
		{"openapi document as JSON", "GET", "/v3/openapi.yaml", 200, hdr(jsonCT), "{}", "application/json"},
		{"healthz", "GET", "/healthz", 200, hdr(jsonCT), `{"status":"ok"}`, ""},
		{"healthz without rate-limit headers", "GET", "/healthz", 200,
			hdr(jsonCT, "X-RateLimit-Limit", "", "X-RateLimit-Remaining", "", "X-RateLimit-Reset", ""), `{"status":"ok"}`, ""},
		{"healthz without request id", "GET", "/healthz", 200, hdr(jsonCT, "X-Request-Id", ""), `{"status":"ok"}`, "X-Request-Id"},
		{"healthz wrong status value", "GET", "/healthz", 200, hdr(jsonCT), `{"status":"up"}`, "status"},
		{"healthz under the prefix", "GET", "/api/v3/healthz", 200, hdr(jsonCT), `{"status":"ok"}`, "undocumented response"},
		{"readyz", "GET", "/readyz", 200, hdr(jsonCT), `{"status":"ok"}`, ""},
		{"readyz unavailable", "GET", "/readyz", 503, hdr(jsonCT), `{"status":"unavailable"}`, ""},
		{"readyz 503 saying ok", "GET", "/readyz", 503, hdr(jsonCT), `{"status":"ok"}`, "status"},
		{"metrics", "GET", "/metrics", 200, hdr("text/plain; version=0.0.4; charset=utf-8"), "# HELP up 1\nup 1\n", ""},
		{"metrics as JSON", "GET", "/metrics", 200, hdr(jsonCT), "{}", "not documented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := v.ValidateResponse(tt.method, tt.path, tt.status, tt.header, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ValidateResponse(%s %s %d) = %v, want nil", tt.method, tt.path, tt.status, err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("ValidateResponse(%s %s %d) = nil, want an error containing %q", tt.method, tt.path, tt.status, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("ValidateResponse(%s %s %d) = %v, want an error containing %q", tt.method, tt.path, tt.status, err, tt.wantErr)
			}
			if got, want := errors.Is(err, ErrUndocumented), tt.wantErr == "undocumented response"; got != want {
				t.Errorf("errors.Is(err, ErrUndocumented) = %v, want %v (err: %v)", got, want, err)
			}
		})
	}
}

// testSpec has a literal path and a templated one that both match /items/special, and a default
// response.
const testSpec = `
openapi: 3.1.1
info: {title: t, version: "1"}
servers: [{url: https://example.com/base/}]
paths:
  /items/{id}:
    get:
      responses:
        "200":
          description: an item
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Item'}
  /items/special:
    get:
      responses:
        "200":
          description: the special item
          content:
            application/json:
              schema: {type: object, required: [special], properties: {special: {const: true}}}
  /{a}/{b}/c:
    get:
      responses:
        "200": {description: ok}
  /{a}/b/{c}:
    get:
      responses:
        "204": {description: ok}
        default:
          description: anything else
          content:
            application/problem+json:
              schema: {type: object, required: [title]}
components:
  schemas:
    Item: {type: object, required: [id], properties: {id: {type: string}}}
`

func TestValidateResponsePathMatching(t *testing.T) {
	t.Parallel()
	v, err := New([]byte(testSpec))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		method  string
		path    string
		status  int
		body    string
		wantErr bool
	}{
		{"param", "GET", "/base/items/42", 200, `{"id":"42"}`, false},
		{"literal wins over param", "GET", "/base/items/special", 200, `{"special":true}`, false},
		{"literal route does not take the item shape", "GET", "/base/items/special", 200, `{"id":"special"}`, true},
		{"escaped segment", "GET", "/base/items/a%2Fb", 200, `{"id":"a/b"}`, false},
		{"empty segment", "GET", "/base/items/", 200, `{"id":""}`, true},
		{"leftmost literal wins", "GET", "/base/x/b/c", 204, ``, false},
		{"default response", "GET", "/base/x/b/c", 418, `{"title":"teapot"}`, false},
		{"default response shape", "GET", "/base/x/b/c", 418, `{}`, true},
		{"other template", "GET", "/base/x/y/c", 200, ``, false},
		{"without server path", "GET", "/items/42", 200, `{"id":"42"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct := "application/json"
			if tt.status == 418 {
				ct = "application/problem+json"
			}
			err := v.ValidateResponse(tt.method, tt.path, tt.status, http.Header{"Content-Type": {ct}}, []byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Errorf("ValidateResponse(%s %s %d, %s) = %v, want error %v", tt.method, tt.path, tt.status, tt.body, err, tt.wantErr)
			}
		})
	}
}

func TestNewRejectsBrokenDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec, wantErr string
	}{
		{"not YAML", "openapi: [", "parse"},
		{"OpenAPI 3.0", "openapi: 3.0.3\npaths: {}\n", "3.1"},
		{"dangling response ref", `openapi: 3.1.0
paths:
  /x:
    get:
      responses:
        "200": {$ref: '#/components/responses/Missing'}
`, "Missing"},
		{"dangling schema ref", `openapi: 3.1.0
paths:
  /x:
    get:
      responses:
        "200":
          description: x
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Missing'}
`, "Missing"},
		{"invalid schema", `openapi: 3.1.0
paths:
  /x:
    get:
      responses:
        "200":
          description: x
          content:
            application/json:
              schema: {type: 42}
`, "schema"},
		{"partial template parameter", `openapi: 3.1.0
paths:
  /x/{id}.json:
    get:
      responses:
        "200": {description: x}
`, "whole segment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New([]byte(tt.spec))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// recorder is a testing.TB that captures Errorf calls instead of failing the test.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func TestTransport(t *testing.T) {
	t.Parallel()
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	const good = `{"data":[{"id":"001","name":"Banco do Brasil","display_name":"001 - Banco do Brasil"}]}`
	const bad = `{"data":[{"id":"001","name":"Banco do Brasil"}],"has_more":false}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range hdr("application/json") {
			w.Header()[k] = vs
		}
		if r.URL.Query().Get("bad") != "" {
			io.WriteString(w, bad)
			return
		}
		io.WriteString(w, good)
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name      string
		query     string
		wantBody  string
		wantWords []string // each must appear in the one reported error; none means no report
	}{
		{"valid response", "", good, nil},
		{"invalid response", "?bad=1", bad, []string{"GET", "/api/v3/banks", "200", "display_name", "has_more", `"Banco do Brasil"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{TB: t}
			client := &http.Client{Transport: Transport(rec, v, srv.Client().Transport)}
			resp, err := client.Get(srv.URL + "/api/v3/banks" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantBody, string(body)); diff != "" {
				t.Errorf("body seen by the caller (-want +got):\n%s", diff)
			}
			errs := rec.errors()
			if tt.wantWords == nil {
				if len(errs) != 0 {
					t.Errorf("Transport reported %q, want nothing", errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("Transport reported %d errors, want 1: %q", len(errs), errs)
			}
			for _, w := range tt.wantWords {
				if !strings.Contains(errs[0], w) {
					t.Errorf("the report does not mention %q:\n%s", w, errs[0])
				}
			}
		})
	}
}
