package main

import (
	"fmt"
	"net/http"
	"time"

	"cedarheights/billing/stripestub"
)

// webhooks.go delivers the Stripe stand-in's webhooks back to the server,
// as Stripe would send them (mailpit is bench/internal/benchmail).

// webhooks delivers the stand-in's events every second, each timed and
// recorded like any request (an answer other than 200 is an error).
type webhooks struct {
	stopCh chan struct{}
	done   chan struct{}
	n      int
	errs   []string
}

const webhookEndpoint = "POST /api/v1/stripe/webhooks (Stripe stand-in)"

func deliverWebhooks(stub *stripestub.Server, rec *recorder) *webhooks {
	w := &webhooks{stopCh: make(chan struct{}), done: make(chan struct{})}
	deliver := func() {
		for _, ev := range stub.Pending() {
			s := sample{Endpoint: webhookEndpoint, At: time.Now()}
			code, err := stub.Deliver(ev, stripestub.Delivery{})
			s.Took = time.Since(s.At)
			w.n++
			if err != nil || code != http.StatusOK {
				s.Outcome = failed
				s.Detail = fmt.Sprintf("event %v (%v): %d %v", ev["id"], ev["type"], code, err)
				if len(w.errs) < 5 {
					w.errs = append(w.errs, s.Detail)
				}
			}
			rec.add(s)
		}
	}
	go func() {
		defer close(w.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-w.stopCh:
				deliver()
				return
			case <-t.C:
				deliver()
			}
		}
	}()
	return w
}

// stop delivers what is left and reports the deliveries and refusals.
func (w *webhooks) stop() (int, []string) {
	close(w.stopCh)
	<-w.done
	return w.n, w.errs
}
