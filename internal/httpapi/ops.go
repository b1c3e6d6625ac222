package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/dinie-oss/dinie/api"
	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/banks"
)

// listBanks is GET /banks: the whole directory, unpaginated.
func (s *Server) listBanks(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	writeBody(w, http.StatusOK, "application/json", banks.JSON())
	return nil
}

// openAPI serves api/openapi.yaml.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	writeBody(w, http.StatusOK, "application/yaml", api.Spec)
	return nil
}

// healthz answers while the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeBody(w, http.StatusOK, "application/json", []byte(`{"status":"ok"}`))
}

// readyz answers 200 while the database answers, else 503.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.cfg.Logger.Warn("not ready", "error", err.Error())
		writeBody(w, http.StatusServiceUnavailable, "application/json", []byte(`{"status":"unavailable"}`))
		return
	}
	writeBody(w, http.StatusOK, "application/json", []byte(`{"status":"ok"}`))
}
