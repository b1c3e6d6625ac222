package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

const (
	// idempotencyTTL is how long a key is remembered (spec/README.md decision 3).
	idempotencyTTL = 24 * time.Hour
	// idempotencyLock is how long a claim survives a crashed owner; longer than any request may run.
	idempotencyLock = 2 * time.Minute
)

// replayedHeaders are the response headers stored with an idempotent answer and sent again on replay.
var replayedHeaders = []string{"Content-Type", "Location", "Cache-Control"}

// idempotencyKeyOf returns the request's idempotency key (either header name) or "".
func idempotencyKeyOf(r *http.Request) string {
	if k := r.Header.Get("X-Idempotency-Key"); k != "" {
		return k
	}
	return r.Header.Get("Idempotency-Key")
}

// idempotent runs h under the request's idempotency key, if it has one and is a write: the first request
// with a key runs and its answer is stored; a repeat with the same request gets that answer again
// (Idempotent-Replayed: true) without running h; a repeat with another request is refused; a repeat that
// arrives while the first still runs waits for it, then replays, or gives up with 409.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, p auth.Principal, h authedFunc) error {
	key := idempotencyKeyOf(r)
	if key == "" || (r.Method != http.MethodPost && r.Method != http.MethodPatch && r.Method != http.MethodDelete && r.Method != http.MethodPut) {
		return h(w, r, p)
	}
	if len(key) > 255 || strings.IndexFunc(key, func(c rune) bool { return c < 0x20 || c > 0x7e }) >= 0 {
		return lending.FieldErrorf(lending.CodeInvalidIdempotencyKey, "Idempotency-Key",
			"an idempotency key has 1 to 255 printable ASCII characters")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyReadError(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.New()
	sum.Write([]byte(r.Method + "\n" + canonicalPath(r.URL.Path) + "\n" + r.URL.RawQuery + "\n"))
	sum.Write(body)
	hash := hex.EncodeToString(sum.Sum(nil))
	k := store.IdempotencyKey{Scope: p.Scope, Key: key}

	deadline := time.Now().Add(s.cfg.IdempotencyWait)
	pause := 5 * time.Millisecond
	for {
		outcome, stored, err := s.cfg.Store.ReserveIdempotencyKey(r.Context(), k, hash, s.cfg.Clock.Now(), idempotencyLock, idempotencyTTL)
		if err != nil {
			return err
		}
		switch outcome {
		case store.Reserved:
			return s.runReserved(w, r, p, h, k)
		case store.Replay:
			return replay(w, stored)
		case store.Mismatch:
			return lending.Errorf(lending.CodeIdempotencyKeyReused,
				"this idempotency key was used for a different request; use a new key for a new request")
		}
		if time.Now().Add(pause).After(deadline) {
			return lending.Errorf(lending.CodeIdempotencyKeyInUse,
				"a request with this idempotency key is still being processed; retry later")
		}
		select {
		case <-r.Context().Done():
			return r.Context().Err()
		case <-time.After(pause):
		}
		pause = min(pause*2, 100*time.Millisecond)
	}
}

// runReserved runs h for the owner of k and stores its answer; an answer of 5xx (or a panic) releases
// the key instead, so the partner's retry runs afresh.
func (s *Server) runReserved(w http.ResponseWriter, r *http.Request, p auth.Principal, h authedFunc, k store.IdempotencyKey) (err error) {
	rec := &recorder{ResponseWriter: w, keep: true}
	completed := false
	defer func() {
		if !completed {
			// Detached from the request: a cancelled client must not leave the key claimed.
			_ = s.cfg.Store.ReleaseIdempotencyKey(context.WithoutCancel(r.Context()), k)
		}
	}()
	if err := h(rec, r, p); err != nil {
		writeError(rec, r, err)
	}
	if rec.status >= 500 || rec.status == 0 {
		return nil
	}
	headers := map[string]string{}
	for _, name := range replayedHeaders {
		if v := rec.Header().Get(name); v != "" {
			headers[name] = v
		}
	}
	hj, _ := json.Marshal(headers)
	if err := s.cfg.Store.CompleteIdempotencyKey(context.WithoutCancel(r.Context()), k, store.StoredResponse{
		Status: rec.status, Headers: string(hj), Body: rec.body.String(),
	}); err != nil {
		s.cfg.Logger.Error("store idempotent response", "request_id", requestID(r), "error", err.Error())
		return nil
	}
	completed = true
	return nil
}

func replay(w http.ResponseWriter, stored store.StoredResponse) error {
	var headers map[string]string
	_ = json.Unmarshal([]byte(stored.Headers), &headers)
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Idempotent-Replayed", "true")
	if stored.Body == "" {
		w.WriteHeader(stored.Status)
		return nil
	}
	writeBody(w, stored.Status, w.Header().Get("Content-Type"), []byte(stored.Body))
	return nil
}

// canonicalPath drops the API prefix, so /v3/x and /api/v3/x are the same request.
func canonicalPath(p string) string {
	for _, prefix := range Prefixes {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			return rest
		}
	}
	return p
}

// bodyReadError turns a failure to read the request body into a problem.
func bodyReadError(err error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return lending.Errorf(lending.CodeRequestTooLarge, "the request body is larger than this server accepts")
	}
	return lending.Errorf(lending.CodeInvalidRequest, "the request body could not be read")
}
