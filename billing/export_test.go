package billing

import (
	"context"
	"encoding/json"
	"strings"

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
