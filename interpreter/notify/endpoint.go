package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// Document kinds (store.Docs).
const (
	kindEndpoint = "webhook"       // an endpoint's configuration, by its name
	kindCursor   = "webhookcursor" // where its delivery is, by its name
	kindDead     = "webhookdead"   // its dead letters, "<name>/<ms>-<event id>"
)

// docFormat is the format of this package's documents; a reader refuses
// a newer one.
const docFormat = 1

// Statuses are the execution statuses an endpoint can select.
var Statuses = []string{store.StatusRunning, store.StatusSucceeded, store.StatusFailed, store.StatusTimedOut, store.StatusAborted}

// Bounds of an endpoint's configuration.
const (
	maxURL           = 2048
	maxStateMachines = 100
	minSecret        = 16
	maxSecret        = 256
)

// Endpoint is a webhook endpoint as stored. Secret is write-only: the API
// says whether one is set, never what it is.
type Endpoint struct {
	Name          string
	URL           string
	StateMachines []string // empty: every state machine (server-wide)
	Statuses      []string // empty: every status
	Secret        string   // empty: deliveries are not signed
	Enabled       bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (e *Endpoint) filter() Filter {
	return Filter{StateMachines: e.StateMachines, Statuses: e.Statuses}
}

// Spec is what PutEndpoint is given. A nil Secret keeps the secret already
// set (none for a new endpoint); a pointer to "" removes it. A nil Enabled
// keeps the endpoint as it is (enabled when new).
type Spec struct {
	Name          string
	URL           string
	StateMachines []string
	Statuses      []string
	Secret        *string
	Enabled       *bool
}

// ValidationError is a refused Spec: Field names what is wrong.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// validate checks a spec and returns it cleaned (lists sorted, each entry once).
func (sp Spec) validate() (Spec, error) {
	if !interpreter.ValidName(sp.Name) {
		return sp, invalid("name", "%q is not a name: 1-80 characters of [A-Za-z0-9_-]", sp.Name)
	}
	if sp.URL == "" {
		return sp, invalid("url", "an http or https URL is required")
	}
	if len(sp.URL) > maxURL {
		return sp, invalid("url", "longer than %d characters", maxURL)
	}
	u, err := url.Parse(sp.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return sp, invalid("url", "%q is not an http or https URL with a host", sp.URL)
	}
	if u.User != nil {
		return sp, invalid("url", "credentials in the URL are refused (the endpoint authenticates deliveries by their signature)")
	}
	if u.Fragment != "" {
		return sp, invalid("url", "a URL with a fragment (#…) is refused")
	}
	if len(sp.StateMachines) > maxStateMachines {
		return sp, invalid("stateMachines", "%d state machines; at most %d", len(sp.StateMachines), maxStateMachines)
	}
	for i, n := range sp.StateMachines {
		if !interpreter.ValidName(n) {
			return sp, invalid(fmt.Sprintf("stateMachines[%d]", i), "%q is not a state machine name", n)
		}
	}
	for i, s := range sp.Statuses {
		if !slices.Contains(Statuses, s) {
			return sp, invalid(fmt.Sprintf("statuses[%d]", i), "%q is not one of %s", s, strings.Join(Statuses, ", "))
		}
	}
	if sp.Secret != nil && *sp.Secret != "" && (len(*sp.Secret) < minSecret || len(*sp.Secret) > maxSecret) {
		return sp, invalid("secret", "%d characters; a secret has %d to %d", len(*sp.Secret), minSecret, maxSecret)
	}
	sp.StateMachines = sortedSet(sp.StateMachines)
	sp.Statuses = sortedSet(sp.Statuses)
	return sp, nil
}

func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// endpointDoc is an endpoint's document.
type endpointDoc struct {
	V             int       `json:"v"`
	URL           string    `json:"url"`
	StateMachines []string  `json:"stateMachines,omitempty"`
	Statuses      []string  `json:"statuses,omitempty"`
	Secret        string    `json:"secret,omitempty"`
	Enabled       bool      `json:"enabled"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// errNewerFormat: a document written by a newer release.
var errNewerFormat = errors.New("written in a newer format than this node reads")

func checkFormat(what string, v int) error {
	if v > docFormat || v < 1 {
		return fmt.Errorf("%s: format %d, this node reads 1 to %d: %w", what, v, docFormat, errNewerFormat)
	}
	return nil
}

func decodeEndpoint(d store.Doc) (Endpoint, error) {
	var ed endpointDoc
	if err := json.Unmarshal(d.Data, &ed); err != nil {
		return Endpoint{}, fmt.Errorf("webhook endpoint %q: %w", d.Name, err)
	}
	if err := checkFormat("webhook endpoint "+d.Name, ed.V); err != nil {
		return Endpoint{}, err
	}
	return Endpoint{Name: d.Name, URL: ed.URL, StateMachines: ed.StateMachines, Statuses: ed.Statuses, Secret: ed.Secret,
		Enabled: ed.Enabled, CreatedAt: ed.CreatedAt, UpdatedAt: ed.UpdatedAt}, nil
}

func encodeEndpoint(e Endpoint) []byte {
	b, _ := json.Marshal(endpointDoc{V: docFormat, URL: e.URL, StateMachines: e.StateMachines, Statuses: e.Statuses,
		Secret: e.Secret, Enabled: e.Enabled, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()})
	return b
}

// Delivery is where an endpoint's delivery is: its cursor doc.
type Delivery struct {
	// Cursor is the change log position up to which every event was
	// delivered or dead-lettered.
	Cursor      string
	Delivered   int64
	DeadLetters int64 // kept now
	Dropped     int64 // given up when the dead letters were full
	// Gaps counts the times the delivery found changes trimmed from the
	// log before it delivered them (it fell behind the retention).
	Gaps            int64
	LastDeliveredAt time.Time
	LastError       string
	LastErrorAt     time.Time
}

type cursorDoc struct {
	V               int       `json:"v"`
	Cursor          string    `json:"cursor"`
	Delivered       int64     `json:"delivered,omitempty"`
	Dead            int64     `json:"dead,omitempty"`
	Dropped         int64     `json:"dropped,omitempty"`
	Gaps            int64     `json:"gaps,omitempty"`
	LastDeliveredAt time.Time `json:"lastDeliveredAt,omitzero"`
	LastError       string    `json:"lastError,omitempty"`
	LastErrorAt     time.Time `json:"lastErrorAt,omitzero"`
}

func decodeDelivery(d store.Doc) (Delivery, error) {
	var c cursorDoc
	if err := json.Unmarshal(d.Data, &c); err != nil {
		return Delivery{}, fmt.Errorf("webhook cursor %q: %w", d.Name, err)
	}
	if err := checkFormat("webhook cursor "+d.Name, c.V); err != nil {
		return Delivery{}, err
	}
	return Delivery{Cursor: c.Cursor, Delivered: c.Delivered, DeadLetters: c.Dead, Dropped: c.Dropped, Gaps: c.Gaps,
		LastDeliveredAt: c.LastDeliveredAt, LastError: c.LastError, LastErrorAt: c.LastErrorAt}, nil
}

func encodeDelivery(d Delivery) []byte {
	b, _ := json.Marshal(cursorDoc{V: docFormat, Cursor: d.Cursor, Delivered: d.Delivered, Dead: d.DeadLetters, Dropped: d.Dropped, Gaps: d.Gaps,
		LastDeliveredAt: d.LastDeliveredAt.UTC(), LastError: d.LastError, LastErrorAt: d.LastErrorAt.UTC()})
	return b
}

// getDelivery reads an endpoint's cursor doc (rev 0: none yet).
func getDelivery(ctx context.Context, docs store.Docs, name string) (Delivery, int64, error) {
	d, err := docs.GetDoc(ctx, kindCursor, name)
	if errors.Is(err, store.ErrNotFound) {
		return Delivery{}, 0, nil
	}
	if err != nil {
		return Delivery{}, 0, err
	}
	del, err := decodeDelivery(d)
	return del, d.Rev, err
}

// updateDelivery changes an endpoint's cursor doc by compare-and-set,
// reading it again when another writer got there first. change is told
// whether the doc exists, and returns whether to write: a delivery that
// finds its cursor moved, or gone with its endpoint, writes nothing (it
// would make the doc again, for an endpoint created later to inherit).
func updateDelivery(ctx context.Context, docs store.Docs, name string, change func(d *Delivery, exists bool) bool) (Delivery, error) {
	for attempt := 0; ; attempt++ {
		del, rev, err := getDelivery(ctx, docs, name)
		if err != nil {
			return Delivery{}, err
		}
		if !change(&del, rev != 0) {
			return del, nil
		}
		_, err = docs.PutDoc(ctx, store.Doc{Kind: kindCursor, Name: name, Data: encodeDelivery(del), Rev: rev})
		if err == nil || !errors.Is(err, store.ErrConflict) || attempt == 20 {
			return del, err
		}
	}
}
