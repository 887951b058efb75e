package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/schedule"
	"github.com/sfn-project/sfn/store"
)

// Schedules is what /v1/schedules serves (issue 19): schedule.Scheduler.
type Schedules interface {
	Put(ctx context.Context, name string, spec schedule.Spec) (schedule.View, bool, error)
	Get(ctx context.Context, name string) (schedule.View, error)
	List(ctx context.Context, cursor string, limit int) ([]schedule.View, string, error)
	Delete(ctx context.Context, name string) error
	Pause(ctx context.Context, name, note string) (schedule.View, error)
	Resume(ctx context.Context, name string) (schedule.View, error)
	Trigger(ctx context.Context, name string) (schedule.Pending, schedule.View, error)
	Backfill(ctx context.Context, name string, from, to time.Time) ([]schedule.Pending, schedule.View, error)
}

// scheduleRoutes registers /v1/schedules. Every route needs the admin
// role: a schedule starts executions on its own, long after the request.
// Without Config.Schedules every one answers 404 (the routes stay, so that
// the API's document is the same on every server).
func (s *server) scheduleRoutes(r chi.Router, h func(perm, routeKind, http.HandlerFunc) http.Handler) {
	if s.cfg.Schedules == nil {
		off := func(w http.ResponseWriter, r *http.Request) {
			s.writeError(w, r, errf(codeNotFound, "this server runs no schedules"))
		}
		h = func(p perm, k routeKind, _ http.HandlerFunc) http.Handler { return s.guard(p, k, off) }
	}
	r.Method(http.MethodGet, "/schedules", h(permDefine, short, s.listSchedules))
	r.Method(http.MethodPut, "/schedules/{schedule}", h(permDefine, short, s.putSchedule))
	r.Method(http.MethodGet, "/schedules/{schedule}", h(permDefine, short, s.getSchedule))
	r.Method(http.MethodDelete, "/schedules/{schedule}", h(permDefine, short, s.deleteSchedule))
	r.Method(http.MethodPost, "/schedules/{schedule}/pause", h(permDefine, short, s.pauseSchedule))
	r.Method(http.MethodPost, "/schedules/{schedule}/resume", h(permDefine, short, s.resumeSchedule))
	r.Method(http.MethodPost, "/schedules/{schedule}/trigger", h(permDefine, short, s.triggerSchedule))
	r.Method(http.MethodPost, "/schedules/{schedule}/backfill", h(permDefine, short, s.backfillSchedule))
}

// scheduleView is a schedule as the API answers it: its definition, then
// what the runner keeps of it.
type scheduleView struct {
	Name                 string                       `json:"name"`
	Target               schedule.Target              `json:"target"`
	Input                any                          `json:"input,omitempty"`
	Expression           string                       `json:"expression"`
	Timezone             string                       `json:"timezone"`
	StartDate            string                       `json:"startDate,omitempty"`
	EndDate              string                       `json:"endDate,omitempty"`
	State                string                       `json:"state"`
	FlexibleTimeWindow   *schedule.FlexibleTimeWindow `json:"flexibleTimeWindow"`
	OverlapPolicy        string                       `json:"overlapPolicy"`
	CatchupWindowSeconds int                          `json:"catchupWindowSeconds"`
	Description          string                       `json:"description,omitempty"`
	CreatedAt            string                       `json:"createdAt"`
	UpdatedAt            string                       `json:"updatedAt"`

	Paused   bool   `json:"paused"`
	Note     string `json:"note,omitempty"`
	PausedAt string `json:"pausedAt,omitempty"`
	// NextSlot and NextFireAt: the next slot and when it fires (its
	// jitter added); absent when the schedule fires no more.
	NextSlot   string              `json:"nextSlot,omitempty"`
	NextFireAt string              `json:"nextFireAt,omitempty"`
	Fired      int64               `json:"fired"`
	Skipped    map[string]int64    `json:"skipped"`
	Queued     []pendingView       `json:"queued"`
	Buffered   []pendingView       `json:"buffered"`
	Recent     []scheduleStartView `json:"recentExecutions"`
	LastError  string              `json:"lastError,omitempty"`
	ErrorAt    string              `json:"lastErrorAt,omitempty"`
}

type pendingView struct {
	Slot          string `json:"slot"`
	Kind          string `json:"kind"`
	ExecutionName string `json:"executionName"`
}

type scheduleStartView struct {
	Slot        string `json:"slot"`
	Kind        string `json:"kind"`
	ExecutionID string `json:"executionId"`
	StartedAt   string `json:"startedAt"`
	Node        string `json:"node,omitempty"`
	Existing    bool   `json:"existing,omitempty"`
	Stopped     string `json:"stoppedExecutionId,omitempty"`
}

func timeOrEmpty(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return interpreter.FormatTime(*t)
}

func pendingViews(name string, ps []schedule.Pending) []pendingView {
	out := make([]pendingView, 0, len(ps))
	for _, p := range ps {
		out = append(out, pendingView{Slot: interpreter.FormatTime(p.Slot), Kind: p.Kind, ExecutionName: p.ExecutionName(name)})
	}
	return out
}

func viewOfSchedule(v schedule.View) scheduleView {
	sp, st := v.Spec, v.State
	out := scheduleView{Name: v.Name, Target: sp.Target, Expression: sp.Expression, Timezone: sp.Timezone,
		StartDate: timeOrEmpty(sp.StartDate), EndDate: timeOrEmpty(sp.EndDate), State: sp.State,
		FlexibleTimeWindow: sp.FlexibleTimeWindow, OverlapPolicy: sp.OverlapPolicy, CatchupWindowSeconds: sp.CatchupWindowSeconds,
		Description: sp.Description, CreatedAt: interpreter.FormatTime(v.Created), UpdatedAt: interpreter.FormatTime(v.Updated),
		Paused: st.Paused, Note: st.Note, PausedAt: timeOrEmpty(st.PausedAt),
		NextSlot: timeOrEmpty(&v.NextSlot), NextFireAt: timeOrEmpty(&v.NextFire),
		Fired: st.Counts.Fired, Skipped: st.Counts.Skipped,
		Queued: pendingViews(v.Name, st.Queue), Buffered: pendingViews(v.Name, st.Buffered),
		Recent: make([]scheduleStartView, 0, len(st.Recent)), LastError: st.LastError, ErrorAt: timeOrEmpty(st.ErrorAt)}
	if len(sp.Input) > 0 {
		out.Input = rawJSON(sp.Input)
	}
	if out.Skipped == nil {
		out.Skipped = map[string]int64{}
	}
	for _, r := range st.Recent {
		out.Recent = append(out.Recent, scheduleStartView{Slot: interpreter.FormatTime(r.Slot), Kind: r.Kind, ExecutionID: r.ExecutionID,
			StartedAt: interpreter.FormatTime(r.At), Node: r.Node, Existing: r.Existing, Stopped: r.Stopped})
	}
	return out
}

// rawJSON writes stored JSON as it is.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// scheduleName reads the {schedule} path parameter.
func scheduleName(r *http.Request) (string, error) {
	v, err := pathParam(r, "schedule")
	if err != nil {
		return "", err
	}
	if !schedule.ValidName(v) {
		return "", errf(codeInvalidInput, fmt.Sprintf("schedule name %q is invalid: names are 1-%d characters of [A-Za-z0-9_-] (a slot's execution is named <schedule>-<slot as 20060102T150405Z>, at most 80)",
			v, schedule.MaxNameLength))
	}
	return v, nil
}

// scheduleError maps the schedule package's errors to the contract's.
func scheduleError(err error) error {
	var se *schedule.SpecError
	switch {
	case errors.As(err, &se):
		details := make([]problemDetail, 0, len(se.Problems))
		for _, p := range se.Problems {
			details = append(details, problemDetail{Path: p.Path, Message: p.Message})
		}
		return &apiError{Code: codeValidation, Message: se.Error(), Details: details}
	case errors.Is(err, schedule.ErrInvalidName), errors.Is(err, schedule.ErrBadRange):
		return errf(codeInvalidInput, err.Error())
	case errors.Is(err, schedule.ErrQueueFull), errors.Is(err, schedule.ErrNewerEncoding):
		return errf(codeConflict, err.Error())
	}
	return err
}

func (s *server) listSchedules(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	after := ""
	if cursor != "" {
		b, derr := base64.RawURLEncoding.DecodeString(cursor)
		if derr != nil || !schedule.ValidName(string(b)) {
			s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("malformed cursor %q: pass the nextCursor of an earlier page", cursor)))
			return
		}
		after = string(b)
	}
	views, next, err := s.cfg.Schedules.List(r.Context(), after, limit)
	if err != nil {
		s.writeError(w, r, scheduleError(err))
		return
	}
	type answer struct {
		Schedules  []scheduleView `json:"schedules"`
		NextCursor string         `json:"nextCursor,omitempty"`
	}
	a := answer{Schedules: make([]scheduleView, 0, len(views))}
	if next != "" {
		a.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(next))
	}
	for _, v := range views {
		a.Schedules = append(a.Schedules, viewOfSchedule(v))
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *server) putSchedule(w http.ResponseWriter, r *http.Request) {
	name, err := scheduleName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var spec schedule.Spec
	if err := decodeEnvelope(w, r, maxPayload+envelopeAllowance, &spec); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, created, err := s.cfg.Schedules.Put(r.Context(), name, spec)
	if err != nil {
		s.writeError(w, r, scheduleError(err))
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/schedules/"+name)
	}
	writeJSON(w, status, viewOfSchedule(v))
}

func (s *server) getSchedule(w http.ResponseWriter, r *http.Request) {
	name, err := scheduleName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.cfg.Schedules.Get(r.Context(), name)
	if err != nil {
		s.writeError(w, r, scheduleError(err))
		return
	}
	writeJSON(w, http.StatusOK, viewOfSchedule(v))
}

func (s *server) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	name, err := scheduleName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cfg.Schedules.Delete(r.Context(), name); err != nil {
		s.writeError(w, r, scheduleError(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) pauseSchedule(w http.ResponseWriter, r *http.Request) {
	name, err := scheduleName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		Note string `json:"note"`
	}
	if err := decodeEnvelope(w, r, envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.cfg.Schedules.Pause(r.Context(), name, body.Note)
	if err != nil {
		s.writeError(w, r, scheduleError(err))
		return
	}
	writeJSON(w, http.StatusOK, viewOfSchedule(v))
}

func (s *server) resumeSchedule(w http.ResponseWriter, r *http.Request) {
	name, err := scheduleName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct{}
	if err := decodeEnvelope(w, r, envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.cfg.Schedules.Resume(r.Context(), name)
	if err != nil {
		s.writeError(w, r, scheduleError(err))
		return
	}
	writeJSON(w, http.StatusOK, viewOfSchedule(v))
}

// triggerAnswer: the slots queued (202: the schedule's owner starts them
// within a second) and the executions they will be.
type triggerAnswer struct {
	Queued   []pendingView `json:"queued"`
	Schedule scheduleView  `json:"schedule"`
	Note     string        `json:"note"`
}

// queuedNote says what a 202 does not promise.
const queuedNote = "queued: the schedule's overlap policy decides when it starts (SKIP skips it, BUFFER_* waits, while an execution it started runs); recentExecutions and counts say what became of it"

func (s *server) triggerSchedule(w http.ResponseWriter, r *http.Request) {
	name, err := scheduleName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct{}
	if err := decodeEnvelope(w, r, envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, v, err := s.cfg.Schedules.Trigger(r.Context(), name)
	if err != nil {
		s.writeError(w, r, scheduleError(err))
		return
	}
	writeJSON(w, http.StatusAccepted, triggerAnswer{Queued: pendingViews(name, []schedule.Pending{p}), Schedule: viewOfSchedule(v), Note: queuedNote})
}

func (s *server) backfillSchedule(w http.ResponseWriter, r *http.Request) {
	name, err := scheduleName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		From *time.Time `json:"from"`
		To   *time.Time `json:"to"`
	}
	if err := decodeEnvelope(w, r, envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.From == nil || body.To == nil {
		s.writeError(w, r, errf(codeInvalidInput, `a backfill needs "from" and "to" (RFC 3339 times, as 2025-01-01T00:00:00Z): the slots from..to, both included, fire`))
		return
	}
	ps, v, err := s.cfg.Schedules.Backfill(r.Context(), name, *body.From, *body.To)
	if err != nil {
		s.writeError(w, r, scheduleError(err))
		return
	}
	writeJSON(w, http.StatusAccepted, triggerAnswer{Queued: pendingViews(name, ps), Schedule: viewOfSchedule(v), Note: queuedNote})
}

// ScheduleStarter is the schedules' starter of sfn serve: a target names a
// state machine with a version (revision), a published version or an
// alias, resolved as a start through the API resolves them (an alias picks
// by a draw derived from the execution's name, so a fire made again picks
// the same version), and a start through one is noted for the AWS API.
// EXPRESS state machines are refused: their executions are not kept, so a
// fire made again could not find the first.
func ScheduleStarter(eng *interpreter.Engine) schedule.Starter {
	return scheduleStarter{eng: eng, meta: awsmeta.New(eng.Store())}
}

type scheduleStarter struct {
	eng  *interpreter.Engine
	meta *awsmeta.Meta
}

func (st scheduleStarter) resolve(ctx context.Context, t schedule.Target, execName string) (int, awsmeta.ExecutionNote, error) {
	var none awsmeta.ExecutionNote
	mc, err := st.meta.Machine(ctx, t.StateMachine)
	if err != nil {
		return 0, none, err
	}
	if machineType(mc) == awsmeta.Express {
		return 0, none, fmt.Errorf("%w: %s is an EXPRESS state machine; schedules start STANDARD ones (an Express execution is not kept, so a slot fired again could not find it)",
			schedule.ErrTarget, t.StateMachine)
	}
	body := startBody{Name: &execName}
	if t.Version != 0 {
		body.Version = &t.Version
	}
	if t.PublishedVersion != 0 {
		body.PublishedVersion = &t.PublishedVersion
	}
	if t.Alias != "" {
		body.Alias = &t.Alias
	}
	version, note, err := startTarget(machineRef{Name: t.StateMachine}, body, mc)
	var ae *apiError
	if errors.As(err, &ae) {
		if ae.Code == codeNotFound {
			return 0, none, fmt.Errorf("%s: %w", ae.Message, store.ErrNotFound)
		}
		return 0, none, fmt.Errorf("%w: %s", schedule.ErrTarget, ae.Message)
	}
	return version, note, err
}

// Start implements schedule.Starter.
func (st scheduleStarter) Start(ctx context.Context, f schedule.Fire) (*interpreter.Execution, bool, error) {
	version, note, err := st.resolve(ctx, f.Target, f.Name)
	if err != nil {
		return nil, false, err
	}
	ex, existing, err := st.eng.StartExecution(ctx, interpreter.StartParams{StateMachine: f.Target.StateMachine, Name: f.Name,
		Input: f.Input, Version: version})
	if err == nil && (note != awsmeta.ExecutionNote{}) && (!existing || ex.Status == store.StatusRunning) {
		err = st.meta.NoteExecution(ctx, ex.ID, ex.StartedAt, note)
	}
	return ex, existing, err
}

// Check implements schedule.Starter.
func (st scheduleStarter) Check(ctx context.Context, t schedule.Target) error {
	if _, err := st.eng.Store().GetStateMachine(ctx, t.StateMachine, t.Version); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			if t.Version != 0 {
				return fmt.Errorf("state machine %s has no version %d: %w", t.StateMachine, t.Version, store.ErrNotFound)
			}
			return fmt.Errorf("no state machine %s: %w", t.StateMachine, store.ErrNotFound)
		}
		return err
	}
	_, _, err := st.resolve(ctx, t, "check")
	return err
}
