package billing

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/stripe/stripe-go/v76"
)

// Recovery after missed or failed webhooks.
//
// Reprocess retries the stored events that failed (or were stored and never
// processed). Resync asks Stripe instead: it stores and processes the
// events of the handled types we never received (Stripe keeps 30 days of
// them), re-reads every enrollment's subscription, re-sends the customer
// emails that did not sync, and resolves the refund holds left pending
// past RefundHoldTTL (refund_holds.go).

// RunReport counts what a recovery did.
type RunReport struct {
	EventsListed    int      `json:"events_listed"`
	EventsStored    int      `json:"events_stored"`
	EventsProcessed int      `json:"events_processed"`
	EventsFailed    int      `json:"events_failed"`
	Subscriptions   int      `json:"subscriptions"`
	Customers       int      `json:"customers"`
	RefundHolds     int      `json:"refund_holds"`
	Errors          []string `json:"errors"`
}

// Reprocess retries failed events, and received ones when withReceived,
// oldest first.
func (s *Service) Reprocess(ctx context.Context, withReceived bool) (RunReport, error) {
	rep := RunReport{Errors: []string{}}
	statuses := []any{EventFailed}
	if withReceived {
		statuses = append(statuses, EventReceived)
	}
	var ids []string
	err := s.app.DB().Select("event_id").From(eventsCollection).
		Where(dbx.In("status", statuses...)).OrderBy("event_created", "created").Column(&ids)
	if err != nil {
		return rep, err
	}
	for _, id := range ids {
		s.processCounted(ctx, id, &rep)
	}
	return rep, nil
}

func (s *Service) processCounted(ctx context.Context, id string, rep *RunReport) {
	if err := s.Process(ctx, id); err != nil {
		rep.EventsFailed++
		rep.Errors = append(rep.Errors, id+": "+err.Error())
		return
	}
	rep.EventsProcessed++
}

// Resync catches up with Stripe. Events are listed from since (zero: the
// newest stored event minus an hour, or Stripe's 30 days when none).
func (s *Service) Resync(ctx context.Context, since time.Time) (RunReport, error) {
	rep := RunReport{Errors: []string{}}
	sc, err := s.stripe()
	if err != nil {
		return rep, err
	}
	if since.IsZero() {
		since, err = s.resyncStart()
		if err != nil {
			return rep, err
		}
	}

	params := &stripe.EventListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}}
	for _, t := range HandledEventTypes() {
		params.Types = append(params.Types, stripe.String(t))
	}
	params.Limit = stripe.Int64(100)
	params.Context = ctx
	var events []*stripe.Event
	iter := sc.Events.List(params)
	for iter.Next() {
		events = append(events, iter.Event())
	}
	if err := iter.Err(); err != nil {
		return rep, fmt.Errorf("list Stripe events: %w", err)
	}
	// Stripe lists newest first; apply in the order they happened.
	sort.SliceStable(events, func(i, j int) bool { return events[i].Created < events[j].Created })
	rep.EventsListed = len(events)
	for _, ev := range events {
		res, err := s.StoreEvent(*ev, nil)
		if err != nil {
			rep.Errors = append(rep.Errors, ev.ID+": "+err.Error())
			continue
		}
		if !res.Duplicate {
			rep.EventsStored++
		}
		s.processCounted(ctx, ev.ID, &rep)
	}

	var subs []struct {
		Enrollment string `db:"id"`
		ID         string `db:"stripe_subscription_id"`
	}
	err = s.app.DB().Select("id", "stripe_subscription_id").From("enrollments").
		Where(dbx.NewExp("stripe_subscription_id != ''")).All(&subs)
	if err != nil {
		return rep, err
	}
	for _, row := range subs {
		id := row.ID
		get := &stripe.SubscriptionParams{}
		get.Context = ctx
		sub, err := sc.Subscriptions.Get(id, get)
		if err != nil {
			rep.Errors = append(rep.Errors, "subscription "+id+": "+err.Error())
			continue
		}
		if _, err := s.mirror(ctx, row.Enrollment, sub, nil); err != nil {
			rep.Errors = append(rep.Errors, "subscription "+id+": "+err.Error())
			continue
		}
		rep.Subscriptions++
	}

	var families []string
	err = s.app.DB().NewQuery(`SELECT c.family FROM billing_customers c JOIN users u ON u.id = c.family
		WHERE c.email_synced = FALSE OR c.email != u.email`).Column(&families)
	if err != nil {
		return rep, err
	}
	for _, f := range families {
		if err := s.SyncCustomer(ctx, f); err != nil {
			rep.Errors = append(rep.Errors, "customer of "+f+": "+err.Error())
			continue
		}
		rep.Customers++
	}

	n, err := s.resolveExpiredHolds(ctx, "")
	rep.RefundHolds = n
	if err != nil {
		rep.Errors = append(rep.Errors, "refund holds: "+err.Error())
	}
	return rep, nil
}

func (s *Service) resyncStart() (time.Time, error) {
	var newest int64
	err := s.app.DB().Select("COALESCE(MAX(event_created), 0)").From(eventsCollection).Row(&newest)
	if err != nil {
		return time.Time{}, err
	}
	if newest == 0 {
		return time.Now().AddDate(0, 0, -30), nil
	}
	return time.Unix(newest, 0).Add(-time.Hour), nil
}
