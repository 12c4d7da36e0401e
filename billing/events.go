package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"cedarheights/workflows"
)

// The event ledger. A webhook delivery is verified (signature, its time
// within 300 s of now either way, API version), stored once under its event
// id and answered; processing happens afterwards, off the request, in a
// workflow run started with the store (workflow.go) or the in-process
// queue. A repeated delivery finds the id taken and does nothing.
// Processing is order-safe: stripe_objects keeps, per Stripe object, the
// `created` of the newest state applied; an older event is ignored, a tie
// (one-second resolution) or a doubt re-fetches the object from Stripe.

const (
	eventsCollection  = "stripe_events"
	objectsCollection = "stripe_objects"
)

// Event statuses.
const (
	EventReceived  = "received"
	EventProcessed = "processed"
	EventFailed    = "failed"
	EventIgnored   = "ignored"
)

// WebhookTolerance is how far a signature's time may lie from now, in
// either direction.
const WebhookTolerance = 300 * time.Second

// ErrWebhooksDisabled: no webhook secret, so no delivery can be verified.
var ErrWebhooksDisabled = errors.New("STRIPE_WEBHOOK_SECRET is not set: webhook deliveries cannot be verified and are refused")

// SignatureError is a delivery whose signature, timestamp or API version
// does not check out.
type SignatureError struct{ Err error }

func (e *SignatureError) Error() string { return "webhook rejected: " + e.Err.Error() }
func (e *SignatureError) Unwrap() error { return e.Err }

// EventError is a verified delivery whose event the ledger cannot hold as
// sent (an id or type over its limits): Fields names what, keyed by the
// stored field (event_id, type, object_id, ...). Retrying cannot help.
type EventError struct{ Fields validation.Errors }

func (e *EventError) Error() string {
	return "webhook rejected: the event cannot be stored: " + e.Fields.Error()
}

// IngestResult says what a delivery did.
type IngestResult struct {
	EventID   string
	Type      string
	Duplicate bool
	Started   bool // a workflow run was started with the store
}

// Ingest verifies a delivery and stores its event; the caller answers and
// then calls Dispatch unless the event was a duplicate or its workflow run
// already started.
func (s *Service) Ingest(payload []byte, signature string) (IngestResult, error) {
	if !s.WebhooksEnabled() {
		return IngestResult{}, ErrWebhooksDisabled
	}
	ev, err := webhook.ConstructEventWithOptions(payload, signature, s.cfg.WebhookSecret,
		webhook.ConstructEventOptions{Tolerance: WebhookTolerance})
	if err != nil {
		return IngestResult{}, &SignatureError{Err: err}
	}
	// stripe-go refuses only old signatures; one dated ahead would stay
	// replayable until its time plus the tolerance.
	if signed, ok := signatureTime(signature); !ok || signed.Sub(time.Now()) > WebhookTolerance {
		return IngestResult{}, &SignatureError{Err: errors.New("timestamp is in the future beyond the tolerance")}
	}
	if ev.ID == "" || ev.Type == "" {
		return IngestResult{}, &SignatureError{Err: errors.New("the payload is not an event")}
	}
	return s.StoreEvent(ev, payload)
}

// signatureTime is the t= of a Stripe-Signature header, read the way
// stripe-go reads it (the last one counts).
func signatureTime(header string) (time.Time, bool) {
	var t time.Time
	found := false
	for _, pair := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k != "t" {
			continue
		}
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		t, found = time.Unix(sec, 0), true
	}
	return t, found
}

// StoreEvent records ev once, starting its workflow run in the same
// transaction when the app has an engine. payload is the event's JSON as
// received (nil: marshal ev).
func (s *Service) StoreEvent(ev stripe.Event, payload []byte) (IngestResult, error) {
	res := IngestResult{EventID: ev.ID, Type: string(ev.Type)}
	exists := func() (bool, error) {
		var n int
		err := s.app.DB().Select("COUNT(*)").From(eventsCollection).Where(dbx.HashExp{"event_id": ev.ID}).Row(&n)
		return n > 0, err
	}
	if dup, err := exists(); err != nil || dup {
		res.Duplicate = dup
		return res, err
	}
	if payload == nil {
		raw, err := json.Marshal(ev)
		if err != nil {
			return res, err
		}
		payload = raw
	}
	c, err := s.app.FindCachedCollectionByNameOrId(eventsCollection)
	if err != nil {
		return res, err
	}
	objType, objID := eventObject(&ev)
	r := core.NewRecord(c)
	r.Set("event_id", ev.ID)
	r.Set("type", string(ev.Type))
	r.Set("object_type", objType)
	r.Set("object_id", objID)
	r.Set("event_created", ev.Created)
	r.Set("api_version", ev.APIVersion)
	r.Set("livemode", ev.Livemode)
	r.Set("payload", types.JSONRaw(payload))
	r.Set("status", EventReceived)
	r.Set("attempts", 0)
	err = s.app.RunInTransaction(func(txApp core.App) error {
		if err := txApp.Save(r); err != nil {
			return err
		}
		started, err := startEventRun(txApp, ev.ID)
		res.Started = started
		return err
	})
	if err != nil {
		// Two deliveries of one event raced: the unique index kept one.
		if dup, ferr := exists(); ferr == nil && dup {
			res.Duplicate = true
			return res, nil
		}
		var fields validation.Errors
		if errors.As(err, &fields) {
			return res, &EventError{Fields: fields}
		}
		return res, fmt.Errorf("store event %s: %w", ev.ID, err)
	}
	return res, nil
}

func eventObject(ev *stripe.Event) (string, string) {
	if ev.Data == nil || ev.Data.Object == nil {
		return "", ""
	}
	t, _ := ev.Data.Object["object"].(string)
	id, _ := ev.Data.Object["id"].(string)
	return t, id
}

// -------------------------------------------------------------------
// Dispatch: the seam to the workflow engine

// Dispatch hands a stored event to processing: a workflow run keyed by the
// event id (Start is idempotent, so an event whose run exists is left to
// it), or, without an engine, the per-app queue that processes events one
// at a time in the background, in arrival order.
func (s *Service) Dispatch(eventID string) {
	started, err := startEventRun(s.app, eventID)
	if err != nil {
		s.app.Logger().Error("billing: cannot start the event's workflow run; queued in process", "event", eventID, "error", err)
	}
	if !started {
		s.queue.push(eventID)
	}
}

// Flush waits until the queue has processed everything dispatched so far
// and, with a workflow engine, until no stored event waits for its run
// (at most a minute): tests and benchmarks use it.
func (s *Service) Flush() {
	s.queue.wait()
	if workflows.EngineOf(s.app) == nil {
		return
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var waiting int
		err := s.app.DB().Select("COUNT(*)").From(eventsCollection).Where(dbx.HashExp{"status": EventReceived}).Row(&waiting)
		if err != nil || waiting == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type eventQueue struct {
	s       *Service
	mu      sync.Mutex
	idle    *sync.Cond
	pending []string
	running bool
}

func newEventQueue(s *Service) *eventQueue {
	q := &eventQueue{s: s}
	q.idle = sync.NewCond(&q.mu)
	return q
}

func (q *eventQueue) push(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending, id)
	if !q.running {
		q.running = true
		go q.run()
	}
}

// run drains the queue and exits, so an idle app holds no goroutine.
func (q *eventQueue) run() {
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			q.idle.Broadcast()
			q.mu.Unlock()
			return
		}
		id := q.pending[0]
		q.pending = q.pending[1:]
		q.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if err := q.s.Process(ctx, id); err != nil {
			q.s.app.Logger().Error("billing: event processing failed", "event", id, "error", err)
		}
		cancel()
	}
}

func (q *eventQueue) wait() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.running || len(q.pending) > 0 {
		q.idle.Wait()
	}
}

// requeueReceived dispatches the events stored but never processed (the
// process stopped between answering and processing).
func (s *Service) requeueReceived() error {
	var ids []string
	err := s.app.DB().Select("event_id").From(eventsCollection).
		Where(dbx.HashExp{"status": EventReceived}).OrderBy("event_created", "created").Column(&ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.Dispatch(id)
	}
	return nil
}

// -------------------------------------------------------------------
// Processing

// ignored is a handler's way to say the event changes nothing here (an
// object we do not know, a type we do not handle); not a failure.
type ignored string

func (i ignored) Error() string { return string(i) }

// Process handles one stored event. Processed and ignored events are left
// alone; received and failed ones are (re)tried. A failure is recorded on
// the event with the attempt count and returned.
func (s *Service) Process(ctx context.Context, eventID string) error {
	rec, err := s.app.FindFirstRecordByData(eventsCollection, "event_id", eventID)
	if err != nil {
		return fmt.Errorf("event %s: %w", eventID, err)
	}
	switch rec.GetString("status") {
	case EventProcessed, EventIgnored:
		return nil
	}
	var ev stripe.Event
	if err := json.Unmarshal([]byte(rec.GetString("payload")), &ev); err != nil {
		return s.markFailed(rec, fmt.Errorf("payload: %w", err))
	}
	if ev.Data == nil {
		return s.markFailed(rec, errors.New("payload has no data"))
	}
	if err := s.handle(ctx, rec, &ev); err != nil {
		return s.markFailed(rec, err)
	}
	return nil
}

func (s *Service) markFailed(rec *core.Record, cause error) error {
	fresh, err := s.app.FindRecordById(eventsCollection, rec.Id)
	if err != nil {
		return errors.Join(cause, err)
	}
	fresh.Set("status", EventFailed)
	fresh.Set("error", truncate(cause.Error(), 2000))
	fresh.Set("attempts", fresh.GetInt("attempts")+1)
	return errors.Join(cause, s.app.Save(fresh))
}

// handler applies one event type. fetch re-reads the object from Stripe
// (nil: the type is not order-checked); apply runs in the transaction.
type handler struct {
	ordered bool
	fetch   func(ctx context.Context, s *Service, id string) (json.RawMessage, error)
	prepare func(ctx context.Context, s *Service, raw json.RawMessage) (any, error)
	apply   func(txApp core.App, s *Service, ev *stripe.Event, raw json.RawMessage, prepared any) (string, error)
}

// handle runs ev's handler: the order decision, a re-fetch when needed,
// then one transaction that re-checks the order, applies the state, moves
// the object's version and marks the event. When another event of the
// object was applied in between, it decides again at once (a few times)
// rather than failing the event and waiting for the run's retry.
func (s *Service) handle(ctx context.Context, rec *core.Record, ev *stripe.Event) error {
	var err error
	for range redecisions {
		var p eventPlan
		var done bool
		p, done, err = s.decide(ctx, rec, ev)
		if err != nil || done {
			return err
		}
		if err = s.commit(rec, ev, p); !errors.Is(err, errOrderMoved) {
			return err
		}
	}
	return err
}

// redecisions bounds handle's decide-commit rounds; past it the run's own
// retry decides again later.
const redecisions = 3

// eventPlan is what decide settled outside the transaction: the state to
// apply (the event's payload or Stripe's, re-fetched), the version and
// source it stamps, and the object's version it was decided against.
type eventPlan struct {
	h              handler
	objType, objID string
	raw            json.RawMessage
	version        int64
	source         string
	seen           objectVersion
	prepared       any
}

// decide makes the order decision and any Stripe reads (no transaction
// may wait on the network); done when the event is finished already
// (stale, or a type not handled).
func (s *Service) decide(ctx context.Context, rec *core.Record, ev *stripe.Event) (eventPlan, bool, error) {
	h, ok := handlers[ev.Type]
	if !ok {
		return eventPlan{}, true, s.finish(s.app, rec, EventIgnored, "event type not handled")
	}
	p := eventPlan{h: h, raw: ev.Data.Raw, version: ev.Created, source: ev.ID}
	p.objType, p.objID = eventObject(ev)

	if h.ordered && p.objID != "" {
		applied, err := loadVersion(s.app, p.objID)
		if err != nil {
			return p, false, err
		}
		p.seen = applied
		switch decideOrder(ev.Created, applied, s.Online()) {
		case orderStale:
			return p, true, s.finish(s.app, rec, EventIgnored, staleNote(p.objID, applied))
		case orderRefetch:
			fresh, err := h.fetch(ctx, s, p.objID)
			if err != nil {
				return p, false, fmt.Errorf("re-fetch %s: %w", p.objID, err)
			}
			p.raw = fresh
			p.source = "fetch:" + ev.ID
			if applied.Version > p.version {
				p.version = applied.Version
			}
		}
	}

	if h.prepare != nil {
		prepared, err := h.prepare(ctx, s, p.raw)
		if err != nil {
			return p, false, err
		}
		p.prepared = prepared
	}
	return p, false, nil
}

// errOrderMoved: another event of the object was applied after decide
// read its version; the decision is retried against the new one.
var errOrderMoved = errors.New("another event of the object was applied meanwhile; the event is retried against its state")

// commit applies the plan in one transaction, which re-reads the object's
// version: the order decided outside it holds only if no other worker
// applied an event of the object since. If one did, the event is stale by
// the new version (ignored) or must be decided again (errOrderMoved: the
// run retries, and a tie re-fetches) — applying the plan's state could put
// back one older than the one just applied.
func (s *Service) commit(rec *core.Record, ev *stripe.Event, p eventPlan) error {
	return s.app.RunInTransaction(func(txApp core.App) error {
		// Another worker (a run and the CLI, say) may have finished it.
		if current, err := txApp.FindRecordById(eventsCollection, rec.Id); err != nil {
			return err
		} else if st := current.GetString("status"); st == EventProcessed || st == EventIgnored {
			return nil
		}
		if p.h.ordered && p.objID != "" {
			applied, err := loadVersion(txApp, p.objID)
			if err != nil {
				return err
			}
			if applied != p.seen {
				if decideOrder(ev.Created, applied, s.Online()) == orderStale {
					return s.finish(txApp, rec, EventIgnored, staleNote(p.objID, applied))
				}
				return errOrderMoved
			}
		}
		note, err := p.h.apply(txApp, s, ev, p.raw, p.prepared)
		var skip ignored
		if errors.As(err, &skip) {
			return s.finish(txApp, rec, EventIgnored, string(skip))
		}
		if err != nil {
			return err
		}
		if p.h.ordered && p.objID != "" {
			if err := saveVersion(txApp, p.objID, p.objType, p.version, p.source); err != nil {
				return err
			}
		}
		return s.finish(txApp, rec, EventProcessed, note)
	})
}

// finish marks the event in txApp (the handler's transaction).
func (s *Service) finish(txApp core.App, rec *core.Record, status, note string) error {
	fresh, err := txApp.FindRecordById(eventsCollection, rec.Id)
	if err != nil {
		return err
	}
	fresh.Set("status", status)
	fresh.Set("error", truncate(note, 2000))
	fresh.Set("attempts", fresh.GetInt("attempts")+1)
	fresh.Set("processed_at", types.NowDateTime())
	return txApp.Save(fresh)
}

// -------------------------------------------------------------------
// Order

type objectVersion struct {
	Found   bool
	Version int64
	Source  string
}

// fromEvent: the version came from an event's created (Stripe's clock),
// not from a fetch stamped with ours.
func (v objectVersion) fromEvent() bool { return strings.HasPrefix(v.Source, "evt_") }

func loadVersion(app core.App, objectID string) (objectVersion, error) {
	r, err := app.FindFirstRecordByData(objectsCollection, "object_id", objectID)
	if errors.Is(err, sql.ErrNoRows) {
		return objectVersion{}, nil
	}
	if err != nil {
		return objectVersion{}, err
	}
	return objectVersion{Found: true, Version: int64(r.GetInt("version")), Source: r.GetString("source")}, nil
}

// saveVersion records that the state of objectID as of version is applied;
// the version never goes back.
func saveVersion(txApp core.App, objectID, objectType string, version int64, source string) error {
	r, err := txApp.FindFirstRecordByData(objectsCollection, "object_id", objectID)
	if errors.Is(err, sql.ErrNoRows) {
		c, cerr := txApp.FindCachedCollectionByNameOrId(objectsCollection)
		if cerr != nil {
			return cerr
		}
		r = core.NewRecord(c)
		r.Set("object_id", objectID)
		r.Set("object_type", objectType)
	} else if err != nil {
		return err
	} else if int64(r.GetInt("version")) > version {
		return nil
	}
	r.Set("version", version)
	r.Set("source", source)
	return txApp.Save(r)
}

type orderDecision int

const (
	orderApply   orderDecision = iota // the event is newer: apply its payload
	orderStale                        // an newer state is applied: ignore
	orderRefetch                      // a tie or a doubt: read the object from Stripe
)

func decideOrder(created int64, applied objectVersion, online bool) orderDecision {
	switch {
	case !applied.Found || created > applied.Version:
		return orderApply
	case created < applied.Version && applied.fromEvent():
		return orderStale
	case online:
		return orderRefetch
	case created < applied.Version:
		return orderStale
	}
	return orderApply // a tie with no way to ask Stripe: the later delivery wins
}

func staleNote(objectID string, applied objectVersion) string {
	return fmt.Sprintf("stale: a newer state of %s (created %s, from %s) is already applied",
		objectID, time.Unix(applied.Version, 0).UTC().Format(time.RFC3339), applied.Source)
}
