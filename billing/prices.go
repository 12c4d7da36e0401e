package billing

import (
	"context"
	"errors"
	"fmt"

	"github.com/stripe/stripe-go/v76"
)

// Prices: each pricing plan is a Stripe product (id "cedarheights_plan_<plan
// id>") with one recurring price per amount it has had. A price is
// immutable in Stripe, so a changed amount makes a new price and the plan
// points at it; the old one stays active for the subscriptions already on
// it (grandfathering). Every price carries a lookup key naming plan, amount,
// currency and interval, so a rerun finds the price it made instead of
// making another.
//
// Intervals: month bills monthly; semester every six months; school_year
// bills the plan's amount monthly (see SchoolYearInstallments).

// PriceSync is what sync-prices did for one plan.
type PriceSync struct {
	Plan     string `json:"plan"`
	Name     string `json:"name"`
	Action   string `json:"action"` // created, adopted, unchanged, skipped
	PriceID  string `json:"price_id,omitempty"`
	Previous string `json:"previous_price_id,omitempty"`
	Note     string `json:"note,omitempty"`
}

func productID(planID string) string { return "cedarheights_plan_" + planID }

type recurrence struct {
	interval string
	count    int64
}

func planRecurrence(interval string) (recurrence, bool) {
	switch interval {
	case "month", "school_year":
		return recurrence{"month", 1}, true
	case "semester":
		return recurrence{"month", 6}, true
	}
	return recurrence{}, false
}

func lookupKey(planID string, amount int64, currency, interval string) string {
	return fmt.Sprintf("cedarheights_%s_%d_%s_%s", planID, amount, currency, interval)
}

// SyncPrices makes every active plan's Stripe product and price current.
func (s *Service) SyncPrices(ctx context.Context) ([]PriceSync, error) {
	sc, err := s.stripe()
	if err != nil {
		return nil, err
	}
	plans, err := s.app.FindRecordsByFilter("pricing_plans", "", "name,id", 0, 0)
	if err != nil {
		return nil, err
	}
	out := make([]PriceSync, 0, len(plans))
	for _, plan := range plans {
		res := PriceSync{Plan: plan.Id, Name: plan.GetString("name"), Previous: plan.GetString("stripe_price_id")}
		amount := int64(plan.GetInt("amount"))
		currency := plan.GetString("currency")
		rec, ok := planRecurrence(plan.GetString("interval"))
		switch {
		case !plan.GetBool("active"):
			res.Action, res.Note = "skipped", "inactive"
		case amount <= 0:
			res.Action, res.Note = "skipped", "no amount"
		case !ok:
			res.Action, res.Note = "skipped", "unknown interval "+plan.GetString("interval")
		}
		if res.Action != "" {
			res.PriceID = res.Previous
			out = append(out, res)
			continue
		}

		if err := s.ensureProduct(ctx, plan.Id, res.Name); err != nil {
			return out, err
		}
		key := lookupKey(plan.Id, amount, currency, plan.GetString("interval"))
		if res.Previous != "" {
			get := &stripe.PriceParams{}
			get.Context = ctx
			current, err := sc.Prices.Get(res.Previous, get)
			if err != nil {
				return out, fmt.Errorf("plan %s: retrieve price %s: %w", plan.Id, res.Previous, err)
			}
			if current.UnitAmount == amount && string(current.Currency) == currency && current.Recurring != nil &&
				string(current.Recurring.Interval) == rec.interval && current.Recurring.IntervalCount == rec.count {
				res.Action, res.PriceID = "unchanged", current.ID
				out = append(out, res)
				continue
			}
		}

		list := &stripe.PriceListParams{LookupKeys: []*string{stripe.String(key)}}
		list.Context = ctx
		list.Single = true
		iter := sc.Prices.List(list)
		for iter.Next() {
			if p := iter.Price(); p.LookupKey == key {
				res.Action, res.PriceID = "adopted", p.ID
				break
			}
		}
		if err := iter.Err(); err != nil {
			return out, fmt.Errorf("plan %s: look up price: %w", plan.Id, err)
		}
		if res.PriceID == "" {
			params := &stripe.PriceParams{
				Product:    stripe.String(productID(plan.Id)),
				UnitAmount: stripe.Int64(amount),
				Currency:   stripe.String(currency),
				Recurring:  &stripe.PriceRecurringParams{Interval: stripe.String(rec.interval), IntervalCount: stripe.Int64(rec.count)},
				LookupKey:  stripe.String(key),
				Nickname:   stripe.String(fmt.Sprintf("%s, %s", res.Name, FormatMoney(amount, currency))),
				Metadata:   map[string]string{MetaPlan: plan.Id},
			}
			params.Context = ctx
			params.SetIdempotencyKey("cedarheights-price-" + key)
			p, err := sc.Prices.New(params)
			if err != nil {
				return out, fmt.Errorf("plan %s: create price: %w", plan.Id, err)
			}
			res.Action, res.PriceID = "created", p.ID
		}
		plan.Set("stripe_price_id", res.PriceID)
		if err := s.app.Save(plan); err != nil {
			return out, err
		}
		if res.Previous != "" && res.Previous != res.PriceID {
			res.Note = "the previous price stays active for existing subscriptions"
		}
		out = append(out, res)
	}
	return out, nil
}

// ensureProduct creates the plan's product, or renames it to the plan's
// current name.
func (s *Service) ensureProduct(ctx context.Context, planID, name string) error {
	id := productID(planID)
	get := &stripe.ProductParams{}
	get.Context = ctx
	p, err := s.sc.Products.Get(id, get)
	var se *stripe.Error
	switch {
	case err == nil:
		if p.Name == name && p.Active {
			return nil
		}
		upd := &stripe.ProductParams{Name: stripe.String(name), Active: stripe.Bool(true)}
		upd.Context = ctx
		_, err = s.sc.Products.Update(id, upd)
		return err
	case errors.As(err, &se) && se.HTTPStatusCode == 404:
		params := &stripe.ProductParams{ID: stripe.String(id), Name: stripe.String(name), Metadata: map[string]string{MetaPlan: planID}}
		params.Context = ctx
		params.SetIdempotencyKey("cedarheights-product-" + planID)
		_, err = s.sc.Products.New(params)
		return err
	}
	return fmt.Errorf("retrieve product %s: %w", id, err)
}
