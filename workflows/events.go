package workflows

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// events.go: the inbox of external events. Signal stores an event and
// wakes the runs waiting for its key; a waiting run consumes the oldest
// unconsumed event with its key in its checkpoint transaction, so each
// event satisfies exactly one wait, also when it came before the wait.

// SignalOptions qualify a Signal.
type SignalOptions struct {
	// EventID is the sender's id for the event (e.g. a Stripe event id).
	// A second Signal with the same EventID stores nothing and wakes no
	// one: delivery is deduplicated.
	EventID string
}

// SignalResult says what Signal did.
type SignalResult struct {
	ID        string   // the inbox record
	Duplicate bool     // EventID was seen before; nothing was done
	Woken     []string // waiting runs woken to look at it
	Started   []string // runs started by OnSignal triggers
}

// Signal delivers an event with correlation key to the workflows: it is
// stored in workflow_events, runs waiting for key are woken, and runs are
// started by the OnSignal triggers whose prefix key has. Call it with a
// transaction's txApp to make it atomic with the caller's own writes (a
// webhook's ledger entry); runs are woken after that transaction commits.
func Signal(app core.App, key string, payload any, opts ...SignalOptions) (SignalResult, error) {
	var o SignalOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	var res SignalResult
	if key == "" || len(key) > 255 {
		return res, errors.New("workflows: an event key is 1 to 255 characters")
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return res, fmt.Errorf("workflows: encode event payload: %w", err)
	}
	if raw, ok := payload.(json.RawMessage); ok {
		body = raw
	}
	if !json.Valid(body) {
		return res, errors.New("workflows: the event payload is not valid JSON")
	}
	eng := EngineOf(app)
	err = inTx(app, func(tx core.App) error {
		res = SignalResult{}
		if o.EventID != "" {
			var id string
			err := tx.DB().Select("id").From(eventsTable).Where(dbx.HashExp{"event_id": o.EventID}).Row(&id)
			if err == nil {
				res.ID, res.Duplicate = id, true
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		now := time.Now()
		res.ID = core.GenerateDefaultRandomId()
		_, err := tx.DB().Insert(eventsTable, dbx.Params{
			"id": res.ID, "key": key, "event_id": o.EventID, "payload": string(body),
			"consumed_by": "", "consumed_node": "", "consumed_at": "", "created": fmtTime(now),
		}).Execute()
		if err != nil {
			return err
		}
		ev := Event{ID: res.ID, EventID: o.EventID, Key: key, Payload: body, Created: now}
		if eng != nil {
			for _, t := range eng.reg.signalTriggers(key) {
				run, err := t.start(tx, ev)
				if errors.Is(err, ErrSkip) {
					continue
				}
				if err != nil {
					return fmt.Errorf("workflows: trigger %s on %q: %w", t.workflow, key, err)
				}
				res.Started = append(res.Started, run.ID)
				if err := consumeEvent(tx, res.ID, run.ID, "", now); err != nil {
					return err
				}
				break // one trigger consumes the event
			}
		}
		var woken []struct {
			ID string `db:"id"`
		}
		err = tx.DB().NewQuery(`UPDATE workflow_runs SET wake_at = {:now}, updated = {:now}
			WHERE status = 'waiting' AND wait_key = {:key} RETURNING id`).
			Bind(dbx.Params{"now": fmtTime(now), "key": key}).All(&woken)
		if err != nil {
			return err
		}
		for _, w := range woken {
			res.Woken = append(res.Woken, w.ID)
		}
		if eng != nil && len(woken) > 0 {
			ids := res.Woken
			afterCommit(tx, func() {
				for _, id := range ids {
					eng.poke(id)
				}
			})
		}
		return nil
	})
	if err != nil && o.EventID != "" && isUniqueViolation(err) {
		return SignalResult{Duplicate: true}, nil
	}
	return res, err
}

var errEventTaken = errors.New("workflows: the event was consumed by another run")

// findEvent returns the oldest unconsumed event with key, or nil.
func findEvent(app core.App, key string) (*Event, error) {
	var row struct {
		ID      string        `db:"id"`
		EventID string        `db:"event_id"`
		Key     string        `db:"key"`
		Payload types.JSONRaw `db:"payload"`
		Created string        `db:"created"`
	}
	err := app.DB().NewQuery(`SELECT id, event_id, key, payload, created FROM workflow_events
		WHERE key = {:key} AND consumed_by = '' ORDER BY created, rowid LIMIT 1`).
		Bind(dbx.Params{"key": key}).One(&row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &Event{ID: row.ID, EventID: row.EventID, Key: row.Key, Payload: json.RawMessage(row.Payload), Created: parseTime(row.Created)}, nil
}

// consumeEvent marks an event as used by a run's node, once.
func consumeEvent(tx core.App, eventID, runID, node string, now time.Time) error {
	res, err := tx.DB().Update(eventsTable, dbx.Params{
		"consumed_by": runID, "consumed_node": node, "consumed_at": fmtTime(now),
	}, dbx.HashExp{"id": eventID, "consumed_by": ""}).Execute()
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errEventTaken
	}
	return nil
}

// signalTrigger starts a workflow for events whose key has a prefix.
type signalTrigger struct {
	prefix   string
	workflow string
	start    func(tx core.App, ev Event) (*Run, error)
}

// OnSignal starts a run of wf for every event whose key starts with
// prefix (and that is not a duplicate). input maps the event to the run's
// input and options; return ErrSkip to start nothing. Unless input sets
// one, the run's idempotency key is "event:" + the event's EventID (or its
// inbox id), so a redelivered event never starts a second run. The event
// counts as consumed by the run.
func OnSignal[In, S any](r *Registry, prefix string, wf *Workflow[In, S], input func(ev Event) (In, StartOptions, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.signals = append(r.signals, &signalTrigger{prefix: prefix, workflow: wf.name, start: func(tx core.App, ev Event) (*Run, error) {
		in, opts, err := input(ev)
		if err != nil {
			return nil, err
		}
		if opts.IdempotencyKey == "" {
			id := ev.EventID
			if id == "" {
				id = ev.ID
			}
			opts.IdempotencyKey = "event:" + id
		}
		return Start(tx, wf, in, opts)
	}})
}

func (r *Registry) signalTriggers(key string) []*signalTrigger {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []*signalTrigger
	for _, t := range r.signals {
		if strings.HasPrefix(key, t.prefix) {
			out = append(out, t)
		}
	}
	return out
}

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
