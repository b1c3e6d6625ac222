package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
)

// problemClass is the HTTP face of one kind of domain error.
type problemClass struct {
	status int
	typ    string
	title  string
}

const errorsBase = "https://docs.dinie.com/errors/"

var problemClasses = map[lending.Kind]problemClass{
	lending.KindInvalidRequest:       {http.StatusBadRequest, errorsBase + "invalid-request", "Invalid Request"},
	lending.KindUnauthenticated:      {http.StatusUnauthorized, errorsBase + "authentication-failed", "Unauthorized"},
	lending.KindForbidden:            {http.StatusForbidden, errorsBase + "forbidden", "Forbidden"},
	lending.KindNotFound:             {http.StatusNotFound, errorsBase + "not-found", "Not Found"},
	lending.KindMethodNotAllowed:     {http.StatusMethodNotAllowed, errorsBase + "invalid-request", "Method Not Allowed"},
	lending.KindConflict:             {http.StatusConflict, errorsBase + "conflict", "Conflict"},
	lending.KindTooLarge:             {http.StatusRequestEntityTooLarge, errorsBase + "invalid-request", "Payload Too Large"},
	lending.KindUnsupportedMediaType: {http.StatusUnsupportedMediaType, errorsBase + "invalid-request", "Unsupported Media Type"},
	lending.KindValidation:           {http.StatusUnprocessableEntity, errorsBase + "validation-failed", "Validation Failed"},
	lending.KindRateLimited:          {http.StatusTooManyRequests, errorsBase + "rate-limit-exceeded", "Too Many Requests"},
	lending.KindInternal:             {http.StatusInternalServerError, errorsBase + "internal", "Internal Server Error"},
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type      string               `json:"type"`
	Title     string               `json:"title"`
	Status    int                  `json:"status"`
	Detail    string               `json:"detail"`
	Instance  string               `json:"instance,omitempty"`
	Code      lending.Code         `json:"code"`
	RequestID string               `json:"request_id"`
	Errors    []lending.FieldError `json:"errors,omitempty"`
}

// writeError answers with the problem for err. Errors that are not *lending.Error are internal: they are
// logged with the request id and the partner sees only a generic 500.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	le, ok := errors.AsType[*lending.Error](err)
	if !ok {
		if errors.Is(err, r.Context().Err()) && r.Context().Err() != nil {
			// The client went away; nobody reads this answer.
			le = lending.Errorf(lending.CodeInvalidRequest, "the request was cancelled")
		} else {
			slog.ErrorContext(r.Context(), "internal error", "request_id", requestID(r), "error", err.Error())
			le = lending.Errorf(lending.CodeInternal, "something went wrong on our side; the request id identifies it")
		}
	}
	class := problemClasses[le.Code.Kind()]
	if class.status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	writeJSONAs(w, class.status, "application/problem+json", problem{
		Type:      class.typ,
		Title:     class.title,
		Status:    class.status,
		Detail:    le.Detail,
		Instance:  r.URL.Path,
		Code:      le.Code,
		RequestID: requestID(r),
		Errors:    le.Fields,
	})
}

// retryAfterSeconds is d in whole seconds, rounded up and at least 1, as Retry-After wants it.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(max(int64((d+time.Second-1)/time.Second), 1), 10)
}
