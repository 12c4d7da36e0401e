package workflows

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// StartOptions qualify a new run.
type StartOptions struct {
	// IdempotencyKey makes Start idempotent: a second Start with the same
	// key returns the first run (Existing set) and starts nothing.
	IdempotencyKey string
	// Owner is the user (users id) the run acts for; that user can read
	// the run and its steps (e.g. a parent following an enrollment).
	Owner string
	// Subject says what the run is about, e.g. "lessons:<id>".
	Subject string
}

const maxInputSize = 1 << 20

// Start validates in and commits a new run of wf (registered on app's
// engine) before returning it. Invalid input returns an *InputError and
// creates nothing. Called with a transaction's txApp, the run commits (and
// starts) with that transaction.
func Start[In, S any](app core.App, wf *Workflow[In, S], in In, opts StartOptions) (*Run, error) {
	e, err := engineOf(app)
	if err != nil {
		return nil, err
	}
	sp := e.reg.lookup(wf.name, wf.version)
	if sp == nil {
		return nil, fmt.Errorf("%w: %s v%d", ErrNotRegistered, wf.name, wf.version)
	}
	return e.start(app, sp, in, opts)
}

// StartByName starts the latest registered version of the workflow named
// name with input given as JSON (for routes and the CLI). Unknown fields
// and wrong types are input errors.
func StartByName(app core.App, name string, input json.RawMessage, opts StartOptions) (*Run, error) {
	e, err := engineOf(app)
	if err != nil {
		return nil, err
	}
	sp := e.reg.latest(name)
	if sp == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotRegistered, name)
	}
	in := sp.newInput()
	if len(bytes.TrimSpace(input)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(input))
		dec.DisallowUnknownFields()
		if err := dec.Decode(in); err != nil {
			return nil, &InputError{err}
		}
	}
	return e.start(app, sp, in, opts)
}

func (e *Engine) start(app core.App, sp *spec, input any, opts StartOptions) (*Run, error) {
	inJSON, stateJSON, err := sp.prepare(input)
	if err != nil {
		return nil, err
	}
	if len(inJSON) > maxInputSize {
		return nil, &InputError{fmt.Errorf("input is %d bytes, over the %d limit", len(inJSON), maxInputSize)}
	}
	if len(opts.IdempotencyKey) > 255 || len(opts.Subject) > 200 {
		return nil, &InputError{errors.New("idempotency key (255) or subject (200 characters) too long")}
	}
	now := time.Now()
	r := &Run{
		ID: newID(), Name: sp.name, Version: sp.version, Status: StatusPending,
		Subject: opts.Subject, Owner: opts.Owner, IdempotencyKey: opts.IdempotencyKey,
		Input: inJSON, State: stateJSON, Result: json.RawMessage("null"),
		Ready: []string{sp.start}, Done: []string{}, Created: now,
	}
	activate(r, sp.nodes[sp.start], now)
	local := e.accepting()
	if local {
		// Handed straight to this engine's workers: no claim needed.
		r.Status, r.Started = StatusRunning, now
		r.LeaseOwner, r.LeaseUntil = e.tokenPrefix()+r.ID, now.Add(e.opts.Lease)
	}

	var out *Run
	create := func(tx core.App) error {
		if r.IdempotencyKey != "" {
			existing, err := findByKey(tx, r.IdempotencyKey)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			if existing != nil {
				existing.Existing = true
				out = existing
				return nil
			}
		}
		if r.Owner != "" {
			var one int
			err := tx.DB().Select("(1)").From("users").Where(dbx.HashExp{"id": r.Owner}).Row(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return &InputError{fmt.Errorf("owner %q is not a user", r.Owner)}
			}
			if err != nil {
				return err
			}
		}
		if err := insertRun(e.statements(), tx, r, now); err != nil {
			return err
		}
		out = r
		return nil
	}
	started := func() {
		e.publishRun(r, true)
		if local {
			e.enqueue(job{id: r.ID, run: r.clone()})
		}
	}
	if app.IsTransactional() {
		// Commits with the caller's transaction, and only then starts.
		err = inTx(app, func(tx core.App) error {
			if err := create(tx); err != nil || out != r {
				return err
			}
			afterCommit(tx, started)
			return nil
		})
	} else {
		// Group-committed with the engine's writes; the announcement runs
		// here, not on the committer.
		err = e.write(false, create)
		if err == nil && out == r {
			started()
		}
	}
	if err != nil && r.IdempotencyKey != "" && isUniqueViolation(err) {
		// Another process committed the same key in between.
		existing, ferr := findByKey(app, r.IdempotencyKey)
		if ferr == nil {
			existing.Existing = true
			return existing, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func findByKey(app core.App, key string) (*Run, error) {
	var d dbRun
	err := app.DB().Select("*").From(runsTable).Where(dbx.HashExp{"idempotency_key": key}).One(&d)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return d.decode()
}
