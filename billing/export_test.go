package billing

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
	"github.com/stripe/stripe-go/v76"
)

// CheckFetch runs the Stripe reads an event type's processing makes (the
// re-fetch of an order tie, the refund listing) for the stripe-mock test.
func CheckFetch(ctx context.Context, s *Service, eventType string) error {
	h := handlers[stripe.EventType(eventType)]
	id := map[string]string{"invoice": "in_123", "customer": "sub_123", "payment_intent": "pi_123", "charge": "ch_123", "setup_intent": "seti_123"}[strings.Split(eventType, ".")[0]]
	object := "charge"
	switch {
	case eventType == "charge.refund.updated":
		id, object = "re_123", "refund"
	case strings.HasPrefix(eventType, "charge.dispute."):
		id, object = "dp_123", "dispute"
	}
	if h.fetch != nil {
		if _, err := h.fetch(ctx, s, id); err != nil {
			return err
		}
	}
	if h.prepare != nil {
		if _, err := h.prepare(ctx, s, json.RawMessage(`{"id":"`+id+`","object":"`+object+`"}`)); err != nil {
			return err
		}
	}
	return nil
}

// ProcessInterleaved stores the event in payload without a run and
// processes it as a worker would, calling meanwhile after the order is
// decided and before the transaction that applies it: where another
// worker's event of the same object can land.
func ProcessInterleaved(ctx context.Context, s *Service, payload []byte, meanwhile func()) error {
	var ev stripe.Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return err
	}
	c, err := s.app.FindCachedCollectionByNameOrId(eventsCollection)
	if err != nil {
		return err
	}
	objType, objID := eventObject(&ev)
	rec := core.NewRecord(c)
	rec.Load(map[string]any{"event_id": ev.ID, "type": string(ev.Type), "object_type": objType, "object_id": objID,
		"event_created": ev.Created, "payload": types.JSONRaw(payload), "status": EventReceived})
	if err := s.app.Save(rec); err != nil {
		return err
	}
	p, done, err := s.decide(ctx, rec, &ev)
	if err != nil || done {
		return err
	}
	meanwhile()
	return s.commit(rec, &ev, p)
}
