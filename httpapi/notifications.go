package httpapi

// Notifications (issue 19): webhook endpoints (admin), their dead letters,
// and the server-sent event stream of every execution's status changes
// (read). interpreter/notify does the work; docs/notifications.md tells
// users.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/notify"
	"github.com/sfn-project/sfn/store"
)

// Notifications is what the notification routes serve (*notify.Service).
type Notifications interface {
	PutEndpoint(ctx context.Context, sp notify.Spec) (notify.Endpoint, bool, error)
	Endpoint(ctx context.Context, name string) (notify.Endpoint, notify.Delivery, error)
	Endpoints(ctx context.Context, cursor string, limit int) ([]notify.Endpoint, string, error)
	DeleteEndpoint(ctx context.Context, name string) error
	DeadLetters(ctx context.Context, name, cursor string, limit int) ([]notify.DeadLetter, string, error)
	Redeliver(ctx context.Context, name string, ids []string) (notify.RedeliverResult, error)
	Read(ctx context.Context, cursor string, f notify.Filter, limit int) ([]notify.StreamEvent, string, int, error)
	Watch(ctx context.Context) (<-chan struct{}, func())
	Now(ctx context.Context) (string, error)
	Since(ctx context.Context, t time.Time) (string, error)
}

var _ Notifications = (*notify.Service)(nil)

// redeliverTimeout bounds a redelivery request: up to notify.MaxRedeliver
// deliveries, one after the other.
const redeliverTimeout = 2 * time.Minute

// notificationRoutes registers the notification routes when
// Config.Notifications is set, and answers 404 on them when it is not.
func (s *server) notificationRoutes(r chi.Router, h func(perm, routeKind, http.HandlerFunc) http.Handler) {
	if s.cfg.Notifications == nil {
		off := func(w http.ResponseWriter, r *http.Request) {
			s.writeError(w, r, errf(codeNotFound, "this server sends no notifications"))
		}
		h = func(p perm, k routeKind, _ http.HandlerFunc) http.Handler { return s.guard(p, k, off) }
	}
	r.Method(http.MethodGet, "/events", h(permRead, long, s.allEvents))
	// Endpoints hold where events go and their secrets: admin only, reads too.
	r.Method(http.MethodGet, "/notification-endpoints", h(permDefine, short, s.listEndpoints))
	r.Method(http.MethodPut, "/notification-endpoints/{name}", h(permDefine, short, s.putEndpoint))
	r.Method(http.MethodGet, "/notification-endpoints/{name}", h(permDefine, short, s.getEndpoint))
	r.Method(http.MethodDelete, "/notification-endpoints/{name}", h(permDefine, short, s.deleteEndpoint))
	r.Method(http.MethodGet, "/notification-endpoints/{name}/dead-letters", h(permDefine, short, s.listDeadLetters))
	r.Method(http.MethodPost, "/notification-endpoints/{name}/dead-letters/redeliver", h(permDefine, long, s.redeliver))
}

// endpointView is an endpoint as the API shows it: never its secret.
type endpointView struct {
	Name          string        `json:"name"`
	URL           string        `json:"url"`
	StateMachines []string      `json:"stateMachines"`
	Statuses      []string      `json:"statuses"`
	SecretSet     bool          `json:"secretSet"`
	Enabled       bool          `json:"enabled"`
	CreatedAt     time.Time     `json:"createdAt"`
	UpdatedAt     time.Time     `json:"updatedAt"`
	Delivery      *deliveryView `json:"delivery,omitempty"`
}

type deliveryView struct {
	Cursor          string     `json:"cursor"`
	Delivered       int64      `json:"delivered"`
	DeadLetters     int64      `json:"deadLetters"`
	Dropped         int64      `json:"dropped"`
	Gaps            int64      `json:"gaps"`
	LastDeliveredAt *time.Time `json:"lastDeliveredAt,omitempty"`
	LastError       string     `json:"lastError,omitempty"`
	LastErrorAt     *time.Time `json:"lastErrorAt,omitempty"`
}

func viewEndpoint(ep notify.Endpoint, del *notify.Delivery) endpointView {
	v := endpointView{Name: ep.Name, URL: ep.URL, StateMachines: ep.StateMachines, Statuses: ep.Statuses, SecretSet: ep.Secret != "",
		Enabled: ep.Enabled, CreatedAt: ep.CreatedAt, UpdatedAt: ep.UpdatedAt}
	if v.StateMachines == nil {
		v.StateMachines = []string{}
	}
	if v.Statuses == nil {
		v.Statuses = []string{}
	}
	if del != nil {
		v.Delivery = &deliveryView{Cursor: del.Cursor, Delivered: del.Delivered, DeadLetters: del.DeadLetters, Dropped: del.Dropped, Gaps: del.Gaps,
			LastDeliveredAt: timePtr(del.LastDeliveredAt), LastError: del.LastError, LastErrorAt: timePtr(del.LastErrorAt)}
	}
	return v
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// notifyError maps the notification service's refusals.
func notifyError(err error) error {
	var ve *notify.ValidationError
	if errors.As(err, &ve) {
		return errf(codeInvalidInput, err.Error())
	}
	return err
}

func endpointName(r *http.Request) (string, error) {
	v, err := pathParam(r, "name")
	if err != nil {
		return "", err
	}
	if !interpreter.ValidName(v) {
		return "", invalidName("notification endpoint", v)
	}
	return v, nil
}

func (s *server) putEndpoint(w http.ResponseWriter, r *http.Request) {
	name, err := endpointName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		URL           string   `json:"url"`
		StateMachines []string `json:"stateMachines"`
		Statuses      []string `json:"statuses"`
		Secret        *string  `json:"secret"`
		Enabled       *bool    `json:"enabled"`
	}
	if err := decodeEnvelope(w, r, envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	ep, created, err := s.cfg.Notifications.PutEndpoint(r.Context(), notify.Spec{Name: name, URL: body.URL,
		StateMachines: body.StateMachines, Statuses: body.Statuses, Secret: body.Secret, Enabled: body.Enabled})
	if err != nil {
		s.writeError(w, r, notifyError(err))
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/v1/notification-endpoints/"+name)
	writeJSON(w, status, viewEndpoint(ep, nil))
}

func (s *server) getEndpoint(w http.ResponseWriter, r *http.Request) {
	name, err := endpointName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ep, del, err := s.cfg.Notifications.Endpoint(r.Context(), name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewEndpoint(ep, &del))
}

func (s *server) listEndpoints(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if cursor != "" && !interpreter.ValidName(cursor) {
		s.writeError(w, r, errf(codeInvalidInput, "malformed or unknown cursor"))
		return
	}
	eps, next, err := s.cfg.Notifications.Endpoints(r.Context(), cursor, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type answer struct {
		Endpoints  []endpointView `json:"endpoints"`
		NextCursor string         `json:"nextCursor,omitempty"`
	}
	a := answer{Endpoints: make([]endpointView, 0, len(eps)), NextCursor: next}
	for _, ep := range eps {
		a.Endpoints = append(a.Endpoints, viewEndpoint(ep, nil))
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *server) deleteEndpoint(w http.ResponseWriter, r *http.Request) {
	name, err := endpointName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cfg.Notifications.DeleteEndpoint(r.Context(), name); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type deadLetterView struct {
	ID             string    `json:"id"`
	EventID        string    `json:"eventId"`
	ExecutionArn   string    `json:"executionArn"`
	ExecutionID    string    `json:"executionId"`
	StateMachine   string    `json:"stateMachine"`
	Status         string    `json:"status"`
	Time           time.Time `json:"time"`
	Attempts       int       `json:"attempts"`
	FirstAttemptAt time.Time `json:"firstAttemptAt"`
	LastAttemptAt  time.Time `json:"lastAttemptAt"`
	LastError      string    `json:"lastError"`
}

func (s *server) listDeadLetters(w http.ResponseWriter, r *http.Request) {
	name, err := endpointName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if strings.ContainsAny(cursor, "/") {
		s.writeError(w, r, errf(codeInvalidInput, "malformed or unknown cursor"))
		return
	}
	letters, next, err := s.cfg.Notifications.DeadLetters(r.Context(), name, cursor, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type answer struct {
		DeadLetters []deadLetterView `json:"deadLetters"`
		NextCursor  string           `json:"nextCursor,omitempty"`
	}
	space := s.engine.Space()
	a := answer{DeadLetters: make([]deadLetterView, 0, len(letters)), NextCursor: next}
	for _, l := range letters {
		a.DeadLetters = append(a.DeadLetters, deadLetterView{ID: l.ID, EventID: l.EventID, ExecutionArn: space.ExecutionOfID(l.ExecutionID),
			ExecutionID: l.ExecutionID, StateMachine: l.StateMachine, Status: l.Status, Time: l.Time, Attempts: l.Attempts,
			FirstAttemptAt: l.FirstAttemptAt, LastAttemptAt: l.LastAttemptAt, LastError: l.LastError})
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *server) redeliver(w http.ResponseWriter, r *http.Request) {
	name, err := endpointName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		IDs []string `json:"ids"`
	}
	if err := decodeEnvelope(w, r, envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	for i, id := range body.IDs {
		if id == "" || strings.Contains(id, "/") {
			s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("ids[%d] %q is not a dead letter id", i, id)))
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), redeliverTimeout)
	defer cancel()
	extendDeadline(w, redeliverTimeout+s.cfg.WriteTimeout)
	res, err := s.cfg.Notifications.Redeliver(ctx, name, body.IDs)
	if err != nil {
		s.writeError(w, r, notifyError(err))
		return
	}
	type failure struct {
		ID    string `json:"id"`
		Error string `json:"error"`
	}
	type answer struct {
		Redelivered []string  `json:"redelivered"`
		Failed      []failure `json:"failed"`
		NotFound    []string  `json:"notFound"`
	}
	a := answer{Redelivered: nonNil(res.Redelivered), Failed: []failure{}, NotFound: nonNil(res.NotFound)}
	for _, f := range res.Failed {
		a.Failed = append(a.Failed, failure{ID: f.ID, Error: f.Error})
	}
	writeJSON(w, http.StatusOK, a)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// listParam reads a filter given as repeated or comma-separated values.
func listParam(r *http.Request, key string) []string {
	var out []string
	for _, v := range r.URL.Query()[key] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// allEvents streams every execution's status changes as Server-Sent
// Events: each event's data is the webhook body, its id the change log
// cursor that Last-Event-ID (or ?after=) resumes from, on any node, for as
// long as the log keeps the changes. Without either it starts now.
// Cursors past changes the filter left out are sent as id-only events, so
// a reconnecting client does not read them again.
func (s *server) allEvents(w http.ResponseWriter, r *http.Request) {
	f := notify.Filter{StateMachines: listParam(r, "stateMachine"), Statuses: listParam(r, "status")}
	for _, sm := range f.StateMachines {
		if !interpreter.ValidName(sm) {
			s.writeError(w, r, invalidName("state machine", sm))
			return
		}
	}
	for _, st := range f.Statuses {
		if !slices.Contains(notify.Statuses, st) {
			s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("status %q is not one of %s", st, strings.Join(notify.Statuses, ", "))))
			return
		}
	}
	// ?follow=false ends the stream once it has sent what is logged, for
	// tools that would rather poll (and a curl in a script).
	follow := true
	switch v := r.URL.Query().Get("follow"); v {
	case "", "true":
	case "false":
		follow = false
	default:
		s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("follow %q: want true or false", v)))
		return
	}
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("since %q: want an RFC 3339 time, e.g. 2026-12-07T09:00:00Z", v)))
			return
		}
		since = t
	}
	ctx := r.Context()
	n := s.cfg.Notifications
	cursor := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if cursor == "" {
		cursor = r.URL.Query().Get("after")
	}
	if cursor == "" && !since.IsZero() {
		var err error
		if cursor, err = n.Since(ctx, since); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	// Watch before the first read, so no change falls between the two.
	notices, cancel := n.Watch(ctx)
	defer cancel()
	if cursor == "" {
		var err error
		if cursor, err = n.Now(ctx); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	const page = 500
	events, next, read, err := n.Read(ctx, cursor, f, page)
	if errors.Is(err, store.ErrInvalidCursor) {
		s.writeError(w, r, errf(codeInvalidInput, "Last-Event-ID (or after) is not a cursor of this server's event stream"))
		return
	}
	if errors.Is(err, store.ErrCursorTrimmed) {
		s.writeError(w, r, errf(codeInvalidInput, "Last-Event-ID (or after) is older than the status changes the log still keeps: "+
			"changes after it are gone; reconnect without it (from now) or with since= (from a time)"))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st := s.startStream(w)
	defer st.stop()
	bw := st.bw
	recheck := time.NewTicker(time.Second) // a notice lost while a connection reconnects
	defer recheck.Stop()
	// The starting cursor first: a client that reconnects before any
	// event resumes from here, not from a new "now".
	bw.WriteString("id: " + cursor + "\n\n")
	sent := cursor // the last id the client has
	for {
		for _, ev := range events {
			if ev.Cursor != "" {
				bw.WriteString("id: ")
				bw.WriteString(ev.Cursor)
				bw.WriteString("\n")
				sent = ev.Cursor
			}
			bw.WriteString("data: ")
			bw.Write(ev.Data) // compact JSON: one line
			bw.WriteString("\n\n")
		}
		cursor = next
		// More may be logged as long as a read found entries (a page can
		// be short of page: filtered, or Redis's per-partition shares).
		full := read > 0
		if !full && !follow {
			if cursor != sent {
				bw.WriteString("id: " + cursor + "\n\n") // where a next poll resumes
			}
			_ = st.flush()
			return
		}
		if st.flush() != nil {
			return
		}
		if !full && !st.wait(ctx, notices, recheck.C, func() {
			if cursor != sent {
				// Past changes the filter left out: an id-only event moves
				// the client's Last-Event-ID without an event.
				bw.WriteString("id: " + cursor + "\n\n")
				sent = cursor
			}
		}) {
			return
		}
		if events, next, read, err = n.Read(ctx, cursor, f, page); err != nil {
			return
		}
	}
}
