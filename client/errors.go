package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Problem type URLs of the Dinie API (contract.md §3.11): the primary way to tell errors apart by kind.
const (
	ProblemInvalidRequest       = "https://docs.dinie.com/errors/invalid-request"
	ProblemAuthenticationFailed = "https://docs.dinie.com/errors/authentication-failed"
	ProblemForbidden            = "https://docs.dinie.com/errors/forbidden"
	ProblemNotFound             = "https://docs.dinie.com/errors/not-found"
	ProblemConflict             = "https://docs.dinie.com/errors/conflict"
	ProblemValidationFailed     = "https://docs.dinie.com/errors/validation-failed"
	ProblemRateLimitExceeded    = "https://docs.dinie.com/errors/rate-limit-exceeded"
	ProblemInternal             = "https://docs.dinie.com/errors/internal"
)

// Error is an error answer of the API: an RFC 9457 problem document. Get one with errors.As, or test
// its machine code with IsCode:
//
//	var apiErr *client.Error
//	if errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict { … }
//	if client.IsCode(err, "offer_expired") { … }
type Error struct {
	// Type is the problem type URL (one of the Problem… constants).
	Type string `json:"type"`
	// Title is a short, human summary of the type.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence, for people.
	Detail string `json:"detail"`
	// Instance is the request path the problem is about.
	Instance string `json:"instance"`
	// Code is the machine-readable error code, such as "offer_expired" or "invalid_cpf".
	Code string `json:"code"`
	// RequestID identifies the request in Dinie's logs: quote it to support. It comes from the
	// X-Request-Id header, or from the body when the header is absent.
	RequestID string `json:"request_id"`
	// Errors lists the offending fields of a validation error, if any.
	Errors []FieldError `json:"errors"`
	// RetryAfter is what the server asked to wait before trying again (429, 503), or 0.
	RetryAfter time.Duration `json:"-"`
	// Method and Path are the request the error answers.
	Method string `json:"-"`
	Path   string `json:"-"`
	// Body is the raw response body (useful when it was not a problem document).
	Body []byte `json:"-"`
}

// FieldError is one offending field (or multipart part, or query parameter) of a validation error.
type FieldError struct {
	// Param is the field's name on the wire, such as "cpf" or "bank_account.branch".
	Param string `json:"param"`
	// Detail explains what is wrong with it.
	Detail string `json:"detail"`
	// Code is the field's error code, when it has its own.
	Code string `json:"code,omitempty"`
}

// Error returns "dinie: POST /customers: 422 invalid_cpf: <detail> (request_id req_…)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("dinie: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.Path + ": ")
	}
	fmt.Fprintf(&b, "%d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	switch {
	case e.Detail != "":
		b.WriteString(": " + e.Detail)
	case e.Title != "":
		b.WriteString(": " + e.Title)
	}
	if e.RequestID != "" {
		b.WriteString(" (request_id " + e.RequestID + ")")
	}
	return b.String()
}

// IsCode reports whether err is (or wraps) an *Error with the machine code code, such as
// IsCode(err, "offer_expired").
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// StatusCode returns the HTTP status of the *Error err is or wraps, or 0.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Errors of the client itself, without an answer of the API. Test for them with errors.Is.
var (
	// ErrNoCredentials: a call needs an access token but the client has no credentials.
	ErrNoCredentials = errors.New("client: no credentials: use WithCredentials")
	// ErrNoSessionCode: SessionCustomerID was called on a client without WithSessionCode.
	ErrNoSessionCode = errors.New("client: not in session mode: use WithSessionCode")
	// ErrSessionExpired: in session mode, the customer session token expired. A biometrics code is
	// single-use, so the client cannot get another one: start a new biometrics session.
	ErrSessionExpired = errors.New("client: the customer session token expired; open a new biometrics session")
	// ErrChecksumMismatch: a downloaded document does not match the SHA-256 the server announced.
	ErrChecksumMismatch = errors.New("client: the document does not match its X-Content-SHA256")
	// ErrUnknownEventType: a webhook event has a type that is not one of the 15 of the contract.
	ErrUnknownEventType = errors.New("client: unknown webhook event type")
	// ErrEventType: a typed decoder was called on an event of another type.
	ErrEventType = errors.New("client: wrong event type for this decoder")
)

// decodeError builds the *Error of a non-2xx answer.
func decodeError(method, path string, status int, requestID string, retryAfter time.Duration, body []byte) *Error {
	e := &Error{}
	if err := json.Unmarshal(body, e); err != nil {
		e = &Error{}
	}
	e.Status = status // the HTTP status wins over the body's copy
	if requestID != "" {
		e.RequestID = requestID
	}
	if e.Detail == "" && e.Title == "" && e.Code == "" {
		// Not a problem document (a proxy's page, say): keep a readable excerpt.
		text := strings.TrimSpace(string(body))
		if r := []rune(text); len(r) > 200 {
			text = string(r[:200]) + "…"
		}
		e.Detail = text
	}
	e.RetryAfter, e.Method, e.Path, e.Body = retryAfter, method, path, body
	return e
}
