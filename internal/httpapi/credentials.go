package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/lending"
)

// tokenRequest is the body of POST /auth/token, as a form or as JSON.
type tokenRequest struct {
	GrantType    string `json:"grant_type"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// parseTokenRequest reads the client credentials from HTTP Basic and/or the body (form or JSON), per
// spec/README.md decision 2.
func parseTokenRequest(r *http.Request) (tokenRequest, error) {
	var req tokenRequest
	mt, err := mediaType(r)
	if err != nil {
		return req, err
	}
	body, err := readBody(r)
	if err != nil {
		return req, err
	}
	switch {
	case len(strings.TrimSpace(string(body))) == 0:
	case mt == "application/x-www-form-urlencoded" || mt == "":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return req, lending.Errorf(lending.CodeInvalidRequest, "the form body cannot be parsed")
		}
		for _, f := range []string{"grant_type", "client_id", "client_secret"} {
			if len(form[f]) > 1 {
				return req, lending.FieldErrorf(lending.CodeInvalidRequest, f, "%s is given more than once", f)
			}
		}
		req = tokenRequest{GrantType: form.Get("grant_type"), ClientID: form.Get("client_id"), ClientSecret: form.Get("client_secret")}
	case isJSONMediaType(mt):
		if err := unmarshalObject([]byte(strings.TrimSpace(string(body))), &req); err != nil {
			if lending.ErrorCode(err) == lending.CodeInvalidField {
				// The token endpoint answers malformed requests with 400, as OAuth 2.0 does.
				return req, lending.Errorf(lending.CodeInvalidRequest, "%s", err.(*lending.Error).Detail)
			}
			return req, err
		}
	default:
		return req, lending.Errorf(lending.CodeUnsupportedMediaType,
			"send application/x-www-form-urlencoded or application/json, not %s", mt)
	}
	if h := r.Header.Get("Authorization"); h != "" {
		id, secret, ok := parseBasic(h)
		if !ok {
			return req, lending.Errorf(lending.CodeInvalidClient, "the Authorization header must be Basic base64(client_id:client_secret)")
		}
		if (req.ClientID != "" && req.ClientID != id) || (req.ClientSecret != "" && req.ClientSecret != secret) {
			return req, lending.Errorf(lending.CodeInvalidRequest, "client credentials were sent both in the Authorization header and in the body, and they differ")
		}
		req.ClientID, req.ClientSecret = id, secret
	}
	switch {
	case req.GrantType == "":
		return req, lending.FieldErrorf(lending.CodeInvalidRequest, "grant_type", "grant_type is required and must be client_credentials")
	case req.GrantType != "client_credentials":
		return req, lending.FieldErrorf(lending.CodeUnsupportedGrantType, "grant_type", "only the client_credentials grant is supported")
	}
	return req, nil
}

// parseBasic decodes an HTTP Basic header. Per RFC 6749 §2.3.1 the id and secret may be form-encoded.
func parseBasic(h string) (id, secret string, ok bool) {
	scheme, enc, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	id, secret, ok = strings.Cut(string(raw), ":")
	if !ok {
		return "", "", false
	}
	if u, err := url.QueryUnescape(id); err == nil {
		id = u
	}
	if u, err := url.QueryUnescape(secret); err == nil {
		secret = u
	}
	return id, secret, true
}

// createToken is POST /auth/token.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	req, err := parseTokenRequest(r)
	if err != nil {
		return err
	}
	tok, err := s.cfg.Auth.IssueToken(r.Context(), req.ClientID, req.ClientSecret)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: tok.AccessToken, TokenType: "Bearer", ExpiresIn: tok.ExpiresIn})
	return nil
}

// credentialJSON is the wire shape of a Credential (contract.md §6.6); ClientSecret is present only in
// the answer to its creation.
type credentialJSON struct {
	ID           string  `json:"id"`
	ClientID     string  `json:"client_id"`
	Name         string  `json:"name"`
	Status       string  `json:"status"`
	LastUsedAt   *int64  `json:"last_used_at"`
	ExpiresAt    *int64  `json:"expires_at"`
	CreatedAt    int64   `json:"created_at"`
	UpdatedAt    int64   `json:"updated_at"`
	ClientSecret *string `json:"client_secret,omitempty"`
}

func toCredentialJSON(c lending.Credential) credentialJSON {
	return credentialJSON{
		ID: c.ClientID, ClientID: c.ClientID, Name: c.Name, Status: string(c.Status),
		LastUsedAt: epochPtr(c.LastUsedAt), ExpiresAt: epochPtr(c.ExpiresAt),
		CreatedAt: c.CreatedAt.Unix(), UpdatedAt: c.UpdatedAt.Unix(),
	}
}

func epochPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := t.Unix()
	return &v
}

type createCredentialRequest struct {
	Name      *string         `json:"name"`
	ExpiresAt json.RawMessage `json:"expires_at"`
}

// maxEpoch is 9999-12-31T23:59:59Z, a bound on instants partners send.
const maxEpoch = 253402300799

// createCredential is POST /auth/credentials: a new credential of the caller's partner, in the caller's
// environment.
func (s *Server) createCredential(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req createCredentialRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return lending.FieldErrorf(lending.CodeMissingRequiredField, "name", "name is required")
	}
	var expiresAt *time.Time
	if raw := strings.TrimSpace(string(req.ExpiresAt)); raw != "" && raw != "null" {
		var sec int64
		if err := json.Unmarshal(req.ExpiresAt, &sec); err != nil || sec <= 0 || sec > maxEpoch {
			return lending.FieldErrorf(lending.CodeInvalidField, "expires_at", "expires_at must be epoch seconds (an integer) or null")
		}
		t := time.Unix(sec, 0).UTC()
		expiresAt = &t
	}
	cred, secret, err := lending.NewCredential(lending.NewCredentialRequest{
		Scope: p.Scope, Name: *req.Name, ExpiresAt: expiresAt,
	}, s.cfg.Clock.Now(), auth.HashSecret)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.CreateCredential(r.Context(), cred); err != nil {
		return err
	}
	out := toCredentialJSON(cred)
	out.ClientSecret = &secret
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// listCredentials is GET /auth/credentials: the caller's partner's credentials in the caller's
// environment.
func (s *Server) listCredentials(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	creds, more, err := s.cfg.Store.ListCredentials(r.Context(), p.Scope, page)
	if err != nil {
		return err
	}
	writePage(w, creds, more, toCredentialJSON)
	return nil
}

// revokeCredential is DELETE /auth/credentials/{client_id}: immediate, permanent, and idempotent.
func (s *Server) revokeCredential(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if _, err := s.cfg.Store.RevokeCredential(r.Context(), p.Scope, r.PathValue("client_id"), s.cfg.Clock.Now()); err != nil {
		return err
	}
	s.cfg.Auth.Forget(r.PathValue("client_id"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
