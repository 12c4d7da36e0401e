package billing_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"cedarheights/billing"
	"cedarheights/internal/testapp"
)

// FuzzWebhookIngest: the Stripe webhook's verification and event decode
// (Ingest: signature, timestamp, API version, the event's id and type,
// then the store). A delivery is refused as a SignatureError (the route's
// 400 naming Stripe-Signature), an EventError naming the event's fields
// (400), or stored under the id the payload carries, once: never another
// error (the route's 500), never a panic. sign=true
// signs the payload properly, so the fuzzer reaches the decode and the
// store with bodies Stripe's signature would vouch for.
//
//	go test -run XXX -fuzz FuzzWebhookIngest -fuzztime 60s ./billing/
func FuzzWebhookIngest(f *testing.F) {
	event := `{"id":"evt_1","object":"event","api_version":"2023-10-16","created":1700000000,"type":"invoice.paid",` +
		`"data":{"object":{"id":"in_1","object":"invoice","amount_paid":14000}},"livemode":false}`
	for _, s := range []struct {
		payload, header string
		sign            bool
	}{
		{event, "", true},
		{event, "t=1,v1=00", false},
		{event, "", false},
		{strings.Replace(event, "2023-10-16", "2020-08-27", 1), "", true},
		{strings.Replace(event, `"evt_1"`, `""`, 1), "", true},
		{strings.Replace(event, `"evt_1"`, `"`+strings.Repeat("e", 300)+`"`, 1), "", true},
		{strings.Replace(event, `"evt_1"`, `"evt_\u0000\ud800"`, 1), "", true},
		{strings.Replace(event, `"invoice.paid"`, `7`, 1), "", true},
		{strings.Replace(event, `{"id":"in_1"`, `{"id":["in_1"]`, 1), "", true},
		{`{"id":"evt_2","type":"x","api_version":"2023-10-16","data":null}`, "", true},
		{`[]`, "", true}, {`null`, "", true}, {``, "", true}, {"\xff\xfe", "", true},
		{event, "t=99999999999999999999,v1=ab", false},
		{event, "t=9999999999,v1=ab,t=1", false},
		{event, strings.Repeat("t=1,", 1000), false},
	} {
		f.Add([]byte(s.payload), s.header, s.sign)
	}

	const secret = "whsec_fuzz"
	app, _ := testapp.New(f)
	svc := billing.Use(app, billing.Config{WebhookSecret: secret})
	f.Fuzz(func(t *testing.T, payload []byte, header string, sign bool) {
		if sign {
			header = webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()}).Header
		}
		res, err := svc.Ingest(payload, header)
		var sigErr *billing.SignatureError
		var eventErr *billing.EventError
		switch {
		case errors.As(err, &sigErr):
			return
		case errors.As(err, &eventErr):
			if !sign || len(eventErr.Fields) == 0 {
				t.Fatalf("event refused without naming a field (signed %v): %v", sign, err)
			}
			return
		case err != nil:
			t.Fatalf("delivery %q answered %v, not a refusal of the signature or the event", payload, err)
		case !sign:
			t.Fatalf("an unsigned delivery was accepted: %+v", res)
		}
		var sent struct{ ID string }
		if json.Unmarshal(payload, &sent); res.EventID == "" || res.EventID != sent.ID {
			t.Fatalf("stored under id %q, not the payload's %q", res.EventID, sent.ID)
		}
		again, err := svc.Ingest(payload, header)
		if err != nil || !again.Duplicate || again.EventID != res.EventID {
			t.Fatalf("a repeated delivery answered %+v, %v; want a duplicate of %s", again, err, res.EventID)
		}
	})
}
