package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/customers"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/upload"
)

// maxFieldBytes bounds each text part of a KYC upload.
const maxFieldBytes = 4 << 10

// kycForm is a parsed KYC upload (contract.md §5.14).
type kycForm struct {
	fields  map[string]string
	file    []byte
	hasFile bool
}

// parseKYCForm reads a multipart KYC upload, streaming: text parts up to maxFieldBytes, one `file` part
// up to maxFile bytes. Errors: 415 for a body that is not multipart/form-data, 400 for a malformed one,
// 413 file_too_large, 422 for a repeated part.
func parseKYCForm(r *http.Request, maxFile int64) (kycForm, error) {
	form := kycForm{fields: map[string]string{}}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return form, lending.Errorf(lending.CodeUnsupportedMediaType,
			"send KYC uploads as multipart/form-data with the parts evidence_type, requirement_id, attachment_type and file (or value)")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF { //nolint:errorlint // only a bare io.EOF means the closing boundary was read
			return form, nil
		}
		if err != nil {
			return form, multipartError(err)
		}
		name := part.FormName()
		switch {
		case name == "file":
			if form.hasFile {
				return form, lending.FieldErrorf(lending.CodeInvalidField, "file", "send one file per upload")
			}
			b, err := io.ReadAll(io.LimitReader(part, maxFile+1))
			if err != nil {
				return form, multipartError(err)
			}
			if int64(len(b)) > maxFile {
				return form, lending.FieldErrorf(lending.CodeFileTooLarge, "file", "the file is larger than %s", sizeText(maxFile))
			}
			form.file, form.hasFile = b, true
		case name == "evidence_type" || name == "requirement_id" || name == "attachment_type" || name == "value":
			if _, dup := form.fields[name]; dup {
				return form, lending.FieldErrorf(lending.CodeInvalidField, name, "send %s once", name)
			}
			b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return form, multipartError(err)
			}
			if len(b) > maxFieldBytes {
				return form, lending.FieldErrorf(lending.CodeInvalidField, name, "%s is too long", name)
			}
			form.fields[name] = strings.TrimSpace(string(b))
		default:
			// Unknown parts are skipped, as unknown JSON fields are: SDKs may send more than we read.
			if _, err := io.Copy(io.Discard, part); err != nil {
				return form, multipartError(err)
			}
		}
	}
}

func multipartError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return bodyReadError(err)
	}
	return lending.Errorf(lending.CodeInvalidRequest, "the multipart body is malformed: %v", err)
}

// uploadKYCAttachment is POST /customers/{customer_id}/kyc-attachments.
func (s *Server) uploadKYCAttachment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.receiveKYC(w, r, p, "")
}

// uploadSelfie is POST /customers/{customer_id}/kyc-attachments/selfie: customer sessions only
// (contract.md §5.15), evidence selfie and slot photo implied.
func (s *Server) uploadSelfie(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if !p.IsSession() {
		return lending.Errorf(lending.CodeSessionTokenRequired,
			"selfies are taken by the customer: upload them with the customer's session token from POST /customers/{id}/biometrics, not a partner token")
	}
	return s.receiveKYC(w, r, p, "selfie")
}

func (s *Server) receiveKYC(w http.ResponseWriter, r *http.Request, p auth.Principal, implied string) error {
	form, err := parseKYCForm(r, s.cfg.MaxUploadBytes)
	if err != nil {
		return err
	}
	f := form.fields
	if implied == "selfie" {
		for k, want := range map[string]string{"evidence_type": "selfie", "attachment_type": "photo"} {
			if v, ok := f[k]; ok && v != want {
				code := lending.CodeInvalidEvidenceType
				if k == "attachment_type" {
					code = lending.CodeInvalidAttachmentType
				}
				return lending.FieldErrorf(code, k, "the selfie route takes %s %s only", k, want)
			}
			f[k] = want
		}
	}
	byValue := lending.EvidenceByValue(f["evidence_type"])
	// A document comes as the part `file`, an e-mail as the part `value`.
	if err := required(map[string]bool{"evidence_type": f["evidence_type"] != "", "requirement_id": f["requirement_id"] != "",
		"attachment_type": f["attachment_type"] != "", "file": byValue || form.hasFile, "value": !byValue || f["value"] != ""},
		"evidence_type", "requirement_id", "attachment_type", "file", "value"); err != nil {
		return err
	}
	if byValue && form.hasFile {
		return lending.FieldErrorf(lending.CodeInvalidField, "file", "evidence_type %s is sent as `value`, not as a file", f["evidence_type"])
	}
	if !byValue && f["value"] != "" {
		return lending.FieldErrorf(lending.CodeInvalidField, "value", "evidence_type %s is sent as a file; `value` is only for e-mail", f["evidence_type"])
	}
	if f["evidence_type"] == "selfie" && !p.IsSession() {
		return lending.Errorf(lending.CodeSessionTokenRequired,
			"selfies are taken by the customer through the biometrics session, not uploaded with a partner token")
	}
	up := customers.Upload{Evidence: lending.Evidence{RequirementID: f["requirement_id"], EvidenceType: f["evidence_type"],
		AttachmentType: f["attachment_type"], Value: f["value"]}}
	if form.hasFile {
		kind, err := upload.Inspect(form.file)
		if err != nil {
			return err
		}
		up.File, up.ContentType = form.file, string(kind)
	}
	if _, err := s.cfg.Customers.Submit(r.Context(), p.Scope, r.PathValue("customer_id"), up); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		AttachmentType string `json:"attachment_type"`
		Submitted      bool   `json:"submitted"`
	}{f["attachment_type"], true})
	return nil
}

// hashCode is how biometrics codes are kept: they are long and random, so a fast hash suffices.
func hashCode(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// createBiometricsSession is POST /customers/{customer_id}/biometrics: a link to the hosted KYC page
// with a single-use code.
func (s *Server) createBiometricsSession(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var ignored struct{}
	if err := decodeJSON(r, &ignored); err != nil {
		return err
	}
	bs, code, err := s.cfg.Customers.OpenBiometricsSession(r.Context(), p.Scope, r.PathValue("customer_id"), hashCode)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, struct {
		SessionURL string `json:"session_url"`
		ExpiresAt  int64  `json:"expires_at"`
	}{s.publicURL(r) + "/kyc/?code=" + code, bs.ExpiresAt.Unix()})
	return nil
}

// publicURL is where the server is reached from outside: the configured PublicURL, or the request's host.
func (s *Server) publicURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// SessionGrant is what exchanging a biometrics code gives.
type SessionGrant struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	CustomerID  string `json:"customer_id"`
}

// ExchangeCode turns a single-use biometrics code into a customer session token. When scope is not nil
// the code must belong to it. Unknown, used, expired or foreign codes are CodeInvalidSessionCode.
func (s *Server) ExchangeCode(r *http.Request, code string, scope *lending.Scope) (SessionGrant, error) {
	bad := lending.Errorf(lending.CodeInvalidSessionCode, "the biometrics code is unknown, already used or expired; open a new session")
	if !strings.HasPrefix(code, lending.BiometricsCodePrefix) || len(code) > 200 {
		return SessionGrant{}, bad
	}
	// The scope is part of the consume, so a code refused here stays usable by its own partner.
	bs, err := s.cfg.Store.ConsumeBiometricsSession(r.Context(), hashCode(code), scope, s.cfg.Clock.Now())
	if errors.Is(err, store.ErrNotFound) {
		return SessionGrant{}, bad
	}
	if err != nil {
		return SessionGrant{}, err
	}
	tok, err := s.cfg.Auth.IssueSessionToken(bs.Scope, bs.CustomerID, bs.ID)
	if err != nil {
		return SessionGrant{}, err
	}
	return SessionGrant{AccessToken: tok.AccessToken, TokenType: "bearer", ExpiresIn: tok.ExpiresIn, CustomerID: bs.CustomerID}, nil
}

// exchangeSession is POST /biometrics/session-exchange, for a KYC app's credential with the
// biometrics:exchange scope (spec/README.md decision 10).
func (s *Server) exchangeSession(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if !hasScope(p, lending.ScopeBiometricsExchange) {
		return lending.Errorf(lending.CodeForbidden, "this route needs a credential with the %s scope", lending.ScopeBiometricsExchange)
	}
	var req struct {
		Code *string `json:"code"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Code == nil || *req.Code == "" {
		return lending.FieldErrorf(lending.CodeMissingRequiredField, "code", "code is required")
	}
	g, err := s.ExchangeCode(r, *req.Code, &p.Scope)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, g)
	return nil
}

func hasScope(p auth.Principal, scope string) bool { return slices.Contains(p.Scopes, scope) }

// uploadOverhead is what a KYC upload's body may carry beyond its file: the text parts and multipart
// framing.
const uploadOverhead = 64 << 10

// hostedExchange is POST /kyc/exchange, the hosted KYC page's own code exchange (spec/README.md decision
// 10): the page is served by this server, so it needs no credential of its own; the single-use code is
// the proof.
func (s *Server) hostedExchange(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code *string `json:"code"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Code == nil || *req.Code == "" {
		return lending.FieldErrorf(lending.CodeMissingRequiredField, "code", "code is required")
	}
	g, err := s.ExchangeCode(r, *req.Code, nil)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, g)
	return nil
}

// sizeText writes a byte count for people: "10 MiB", "64 KiB", "300 bytes".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
