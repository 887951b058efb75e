package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sfn-project/sfn/store"
)

// DeadLetter is an event an endpoint's delivery gave up on. Only the
// change log entry is kept, not the body: a delivery again builds the
// event anew, with the input and output the record still has.
type DeadLetter struct {
	// ID names the dead letter within its endpoint: "<ms>-<event id>",
	// ordered by the time of the status change.
	ID             string
	EventID        string
	ExecutionID    string
	StateMachine   string
	Status         string
	Time           time.Time // of the status change
	Attempts       int
	FirstAttemptAt time.Time
	LastAttemptAt  time.Time
	LastError      string
}

type deadDoc struct {
	V              int             `json:"v"`
	Cursor         string          `json:"cursor"`
	Index          int             `json:"index"`
	At             time.Time       `json:"at"`
	Change         json.RawMessage `json:"change"`
	EventID        string          `json:"eventId"`
	Attempts       int             `json:"attempts"`
	FirstAttemptAt time.Time       `json:"firstAttemptAt"`
	LastAttemptAt  time.Time       `json:"lastAttemptAt"`
	LastError      string          `json:"lastError"`
}

func letterName(endpoint string, it *item) string {
	return fmt.Sprintf("%s/%013d-%s", endpoint, it.at.UnixMilli(), it.id)
}

func isLetterOf(docName, endpoint string) bool { return strings.HasPrefix(docName, endpoint+"/") }

func (s *Service) putDeadLetter(ctx context.Context, endpoint string, it *item, attempts int, first, last time.Time, cause error) error {
	// An endpoint deleted meanwhile keeps no letters (one created later
	// under its name would inherit them).
	if _, err := s.docs.GetDoc(ctx, kindEndpoint, endpoint); err != nil {
		return err
	}
	raw, err := json.Marshal(it.change)
	if err != nil {
		return err
	}
	data, err := json.Marshal(deadDoc{V: docFormat, Cursor: it.cursor, Index: it.index, At: it.at.UTC(), Change: raw, EventID: it.id,
		Attempts: attempts, FirstAttemptAt: first.UTC(), LastAttemptAt: last.UTC(), LastError: cause.Error()})
	if err != nil {
		return err
	}
	_, err = s.docs.PutDoc(ctx, store.Doc{Kind: kindDead, Name: letterName(endpoint, it), Data: data})
	if errors.Is(err, store.ErrConflict) {
		return nil // kept already: a batch delivered again gave up on it again
	}
	return err
}

func decodeLetter(d store.Doc, endpoint string) (DeadLetter, deadDoc, error) {
	var dd deadDoc
	if err := json.Unmarshal(d.Data, &dd); err != nil {
		return DeadLetter{}, dd, fmt.Errorf("dead letter %q: %w", d.Name, err)
	}
	if err := checkFormat("dead letter "+d.Name, dd.V); err != nil {
		return DeadLetter{}, dd, err
	}
	var sc struct {
		ID     string `json:"id"`
		SM     string `json:"sm"`
		Status string `json:"status"`
	}
	_ = json.Unmarshal(dd.Change, &sc)
	it, err := dd.item()
	status := sc.Status
	if err == nil {
		status = it.status
	}
	return DeadLetter{ID: strings.TrimPrefix(d.Name, endpoint+"/"), EventID: dd.EventID, ExecutionID: sc.ID, StateMachine: sc.SM,
		Status: status, Time: dd.At, Attempts: dd.Attempts, FirstAttemptAt: dd.FirstAttemptAt, LastAttemptAt: dd.LastAttemptAt,
		LastError: dd.LastError}, dd, nil
}

// item rebuilds the event of a dead letter from its change log entry.
func (dd *deadDoc) item() (item, error) {
	its, err := expand(store.Change{Cursor: dd.Cursor, At: dd.At, Data: dd.Change})
	if err != nil {
		return item{}, err
	}
	for _, it := range its {
		if it.index == dd.Index {
			return it, nil
		}
	}
	return item{}, fmt.Errorf("dead letter of event %d of an entry of %d", dd.Index, len(its))
}

// DeadLetters pages an endpoint's dead letters, oldest first (cursor: the
// last ID of the previous page).
func (s *Service) DeadLetters(ctx context.Context, endpoint, cursor string, limit int) ([]DeadLetter, string, error) {
	if _, err := s.docs.GetDoc(ctx, kindEndpoint, endpoint); err != nil {
		return nil, "", fmt.Errorf("webhook endpoint %q: %w", endpoint, err)
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	after := endpoint + "/"
	if cursor != "" {
		after += cursor
	}
	docs, _, err := s.docs.ListDocs(ctx, kindDead, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	var out []DeadLetter
	for _, d := range docs {
		if !isLetterOf(d.Name, endpoint) {
			break
		}
		l, _, err := decodeLetter(d, endpoint)
		if err != nil {
			return nil, "", err
		}
		out = append(out, l)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// RedeliverResult says what a redelivery did, by dead letter ID.
type RedeliverResult struct {
	Redelivered []string
	Failed      []RedeliverFailure
	NotFound    []string
}

// RedeliverFailure is a dead letter whose delivery failed again; it stays.
type RedeliverFailure struct {
	ID    string
	Error string
}

// MaxRedeliver is how many dead letters one Redeliver call delivers.
const MaxRedeliver = 100

// Redeliver delivers dead letters again, once each and now, from whichever
// node is asked: the given IDs, or the oldest MaxRedeliver when none are
// given. A letter delivered is removed; one that fails again stays, with
// its attempt counted. They arrive out of order with the endpoint's other
// events (consumers order an execution's events by their "time").
func (s *Service) Redeliver(ctx context.Context, endpoint string, ids []string) (RedeliverResult, error) {
	ep, _, err := s.Endpoint(ctx, endpoint)
	if err != nil {
		return RedeliverResult{}, err
	}
	if len(ids) > MaxRedeliver {
		return RedeliverResult{}, invalid("ids", "%d dead letters; at most %d at once", len(ids), MaxRedeliver)
	}
	var docs []store.Doc
	var res RedeliverResult
	if len(ids) == 0 {
		page, _, err := s.docs.ListDocs(ctx, kindDead, endpoint+"/", MaxRedeliver)
		if err != nil {
			return res, err
		}
		for _, d := range page {
			if isLetterOf(d.Name, endpoint) {
				docs = append(docs, d)
			}
		}
	}
	for _, id := range ids {
		d, err := s.docs.GetDoc(ctx, kindDead, endpoint+"/"+id)
		if errors.Is(err, store.ErrNotFound) {
			res.NotFound = append(res.NotFound, id)
			continue
		}
		if err != nil {
			return res, err
		}
		docs = append(docs, d)
	}
	for _, d := range docs {
		l, dd, err := decodeLetter(d, endpoint)
		if err != nil {
			return res, err
		}
		it, err := dd.item()
		if err == nil {
			err = s.send(ctx, &ep, &it)
		}
		now := s.clock.Now().UTC()
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.Failed = append(res.Failed, RedeliverFailure{ID: l.ID, Error: err.Error()})
			dd.Attempts++
			dd.LastAttemptAt, dd.LastError = now, err.Error()
			if data, merr := json.Marshal(dd); merr == nil {
				_, _ = s.docs.PutDoc(ctx, store.Doc{Kind: kindDead, Name: d.Name, Data: data, Rev: d.Rev}) // a conflict: someone else redelivered it
			}
			s.metrics.deliveries.WithLabelValues(endpoint, outcomeFailed).Inc()
			continue
		}
		s.metrics.deliveries.WithLabelValues(endpoint, outcomeDelivered).Inc()
		res.Redelivered = append(res.Redelivered, l.ID)
		if err := s.docs.DeleteDoc(ctx, kindDead, d.Name); err != nil {
			return res, err
		}
		if _, err := updateDelivery(ctx, s.docs, endpoint, func(del *Delivery, exists bool) bool {
			del.DeadLetters = max(0, del.DeadLetters-1)
			del.Delivered++
			del.LastDeliveredAt = now
			return exists
		}); err != nil {
			return res, err
		}
	}
	return res, nil
}
