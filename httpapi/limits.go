package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// limitRoutes registers /v1/limits: the limits that protect the services
// workflows call (interpreter/limits.go). Changing one needs the admin
// role; reading them, with their calls in flight and waiting, the read
// role.
func (s *server) limitRoutes(r chi.Router, h func(perm, routeKind, http.HandlerFunc) http.Handler) {
	r.Method(http.MethodGet, "/limits", h(permRead, short, s.listLimits))
	r.Method(http.MethodPut, "/limits/{key}", h(permDefine, short, s.putLimit))
	r.Method(http.MethodGet, "/limits/{key}", h(permRead, short, s.getLimit))
	r.Method(http.MethodDelete, "/limits/{key}", h(permDefine, short, s.deleteLimit))
}

// limitKey is the {key} of the path, unescaped ("http:*.example.com").
func limitKey(r *http.Request) (string, error) {
	key, err := url.PathUnescape(chi.URLParam(r, "key"))
	if err != nil {
		return "", errf(codeInvalidInput, fmt.Sprintf("limit key %q is not a valid path segment", chi.URLParam(r, "key")))
	}
	return key, nil
}

// limitError classifies the engine's limit errors.
func limitError(err error) error {
	switch {
	case errors.Is(err, interpreter.ErrInvalidLimit):
		return errf(codeInvalidInput, err.Error())
	case errors.Is(err, store.ErrNoLimiter):
		return errf(codeInvalidInput, err.Error())
	}
	return err
}

func (s *server) listLimits(w http.ResponseWriter, r *http.Request) {
	limits, err := s.engine.CallLimits(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"limits": limits})
}

func (s *server) putLimit(w http.ResponseWriter, r *http.Request) {
	key, err := limitKey(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		MaxInFlight *int     `json:"maxInFlight"`
		Rate        *float64 `json:"ratePerSecond"`
		Burst       *int     `json:"burst"`
	}
	if err := decodeEnvelope(w, r, 64<<10, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	l := interpreter.CallLimit{Key: key}
	if body.MaxInFlight != nil {
		l.MaxInFlight = *body.MaxInFlight
	}
	if body.Rate != nil {
		l.Rate = *body.Rate
	}
	if body.Burst != nil {
		l.Burst = *body.Burst
	}
	saved, created, err := s.engine.PutCallLimit(r.Context(), l)
	if err != nil {
		s.writeError(w, r, limitError(err))
		return
	}
	st, err := s.engine.CallLimit(r.Context(), saved.Key)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/limits/"+url.PathEscape(key))
	}
	writeJSON(w, status, st)
}

func (s *server) getLimit(w http.ResponseWriter, r *http.Request) {
	key, err := limitKey(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.engine.CallLimit(r.Context(), key)
	if errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, errf(codeNotFound, fmt.Sprintf("no limit for %q", key)))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *server) deleteLimit(w http.ResponseWriter, r *http.Request) {
	key, err := limitKey(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.engine.DeleteCallLimit(r.Context(), key); errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, errf(codeNotFound, fmt.Sprintf("no limit for %q", key)))
		return
	} else if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
