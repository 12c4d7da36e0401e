package stripestub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// Events: every state change the stand-in makes emits the event Stripe
// would (with a snapshot of the object at that moment), kept for
// GET /v1/events and queued for delivery. Tests deliver them when and as
// often as they like, in any order, or forge and age their signatures.

// emit records an event about o; called with s.mu held.
func (s *Server) emit(eventType string, o Obj, previous Obj) Obj {
	data := Obj{"object": clone(o)}
	if previous != nil {
		data["previous_attributes"] = clone(previous)
	}
	ev := Obj{
		"id": s.newID("evt"), "object": "event", "api_version": stripe.APIVersion, "created": s.now().Unix(),
		"type": eventType, "livemode": false, "pending_webhooks": int64(1), "data": data,
		"request": Obj{"id": nil, "idempotency_key": nil},
	}
	s.events = append(s.events, ev)
	s.pending = append(s.pending, ev)
	return ev
}

// Emit records an event of any type about an object, e.g. one the academy
// does not handle.
func (s *Server) Emit(eventType string, o Obj) Obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clone(s.emit(eventType, o, nil))
}

// Pending returns the events not yet taken for delivery and forgets them.
func (s *Server) Pending() []Obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Obj, len(s.pending))
	for i, ev := range s.pending {
		out[i] = clone(ev)
	}
	s.pending = nil
	return out
}

// Events returns every event emitted so far, oldest first.
func (s *Server) Events() []Obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Obj, len(s.events))
	for i, ev := range s.events {
		out[i] = clone(ev)
	}
	return out
}

// Delivery says how to sign a delivery.
type Delivery struct {
	Secret    string    // default: the server's WebhookSecret
	Timestamp time.Time // default: now
	Header    string    // a Stripe-Signature header to send as is
}

// Sign returns the payload of ev and its Stripe-Signature header.
func (s *Server) Sign(ev Obj, d Delivery) ([]byte, string) {
	payload, _ := json.Marshal(ev)
	if d.Header != "" {
		return payload, d.Header
	}
	secret := d.Secret
	if secret == "" {
		secret = s.WebhookSecret
	}
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: d.Timestamp})
	return payload, signed.Header
}

// Deliver posts ev to the webhook URL and returns the status code.
func (s *Server) Deliver(ev Obj, d Delivery) (int, error) {
	payload, header := s.Sign(ev, d)
	req, err := http.NewRequest(http.MethodPost, s.WebhookURL, bytes.NewReader(payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Stripe-Signature", header)
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	res, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// DeliverPending delivers every pending event once, in order, and fails on
// the first that is not answered 200.
func (s *Server) DeliverPending() error {
	for _, ev := range s.Pending() {
		code, err := s.Deliver(ev, Delivery{})
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("event %s (%s) answered %d", ev["id"], ev["type"], code)
		}
	}
	return nil
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, p Obj) {
	types := map[string]bool{}
	for _, t := range strs(p["types"]) {
		types[t] = true
	}
	if t := str(p["type"]); t != "" {
		types[t] = true
	}
	var items []Obj
	for i := len(s.events) - 1; i >= 0; i-- {
		ev := s.events[i]
		if (len(types) == 0 || types[str(ev["type"])]) && createdIn(ev, p) {
			items = append(items, ev)
		}
	}
	writeJSON(w, 200, page(r.URL.Path, items, p))
}
