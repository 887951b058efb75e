package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Schedules is what /v1/schedules serves (issue 19).
type Schedules interface{}

// scheduleRoutes registers /v1/schedules when Config.Schedules is set.
func (s *server) scheduleRoutes(r chi.Router, h func(perm, routeKind, http.HandlerFunc) http.Handler) {}
