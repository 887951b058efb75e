package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Notifications is what the notification routes serve (issue 19).
type Notifications interface{}

// notificationRoutes registers the notification routes when
// Config.Notifications is set.
func (s *server) notificationRoutes(r chi.Router, h func(perm, routeKind, http.HandlerFunc) http.Handler) {}
