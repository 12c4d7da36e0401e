package migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Billing: the link between families and Stripe customers, the Stripe event
// ledger, the newest state applied per Stripe object (order safety), the
// family ledger, and the notices (receipts, dunning) sent to families and
// admins. Ledger entries are immutable: no API rule writes them, the model
// hooks in billing/ledger.go refuse updates and deletes (superusers too),
// and the triggers below refuse them even to raw SQL.
const (
	idBillingCustomers = "pbc_billing_customers"
	idStripeEvents     = "pbc_stripe_events"
	idStripeObjects    = "pbc_stripe_objects"
	idLedgerEntries    = "pbc_ledger_entries"
	idBillingNotices   = "pbc_billing_notices"
)

// webhookRateLimit lets Stripe's bursts (a few IPs, many events) through;
// it sits before the general "/api/" rule because the first match wins.
var webhookRateLimit = core.RateLimitRule{Label: "POST /api/v1/stripe/webhooks", MaxRequests: 2000, Duration: 10}

func init() {
	m.Register(func(app core.App) error {
		for _, build := range []func() *core.Collection{
			billingCustomersCollection, stripeEventsCollection, stripeObjectsCollection,
			ledgerEntriesCollection, billingNoticesCollection,
		} {
			if err := app.Save(build()); err != nil {
				return err
			}
		}
		for _, stmt := range ledgerTriggers {
			if _, err := app.DB().NewQuery(stmt).Execute(); err != nil {
				return err
			}
		}

		payments, err := app.FindCollectionByNameOrId(idPayments)
		if err != nil {
			return err
		}
		payments.Fields.Add(
			&core.TextField{Name: "idempotency_key", Max: 255, Help: "the client's Idempotency-Key of POST /api/v1/payments/process"},
			&core.NumberField{Name: "amount_refunded", OnlyInt: true, Min: minZero(), Max: ptr(100_000_000.0), Help: "minor units"},
			&core.TextField{Name: "reference", Max: 200, Help: "cheque number, transfer reference"},
			&core.TextField{Name: "failure_message", Max: 500},
		)
		payments.AddIndex("idx_payments_idempotency", true, "`family`, `idempotency_key`", "`idempotency_key` != ''")
		payments.AddIndex("idx_payments_stripe_invoice", false, "`stripe_invoice_id`", "")
		if err := app.Save(payments); err != nil {
			return err
		}

		enrollments, err := app.FindCollectionByNameOrId(idEnrollments)
		if err != nil {
			return err
		}
		enrollments.Fields.Add(
			&core.TextField{Name: "stripe_status", Max: 50, Help: "the subscription's status in Stripe, mirrored"},
			&core.BoolField{Name: "cancel_at_period_end"},
			&core.DateField{Name: "current_period_end"},
		)
		if err := app.Save(enrollments); err != nil {
			return err
		}

		s := app.Settings()
		if !slices.ContainsFunc(s.RateLimits.Rules, func(r core.RateLimitRule) bool { return r.Label == webhookRateLimit.Label }) {
			s.RateLimits.Rules = append([]core.RateLimitRule{webhookRateLimit}, s.RateLimits.Rules...)
			return app.Save(s)
		}
		return nil
	}, func(app core.App) error {
		for _, stmt := range dropLedgerTriggers {
			if _, err := app.DB().NewQuery(stmt).Execute(); err != nil {
				return err
			}
		}
		for _, id := range []string{idBillingNotices, idLedgerEntries, idStripeObjects, idStripeEvents, idBillingCustomers} {
			if c, err := app.FindCollectionByNameOrId(id); err == nil {
				if err := app.Delete(c); err != nil {
					return err
				}
			}
		}
		if payments, err := app.FindCollectionByNameOrId(idPayments); err == nil {
			payments.RemoveIndex("idx_payments_idempotency")
			payments.RemoveIndex("idx_payments_stripe_invoice")
			for _, f := range []string{"idempotency_key", "amount_refunded", "reference", "failure_message"} {
				payments.Fields.RemoveByName(f)
			}
			if err := app.Save(payments); err != nil {
				return err
			}
		}
		if enrollments, err := app.FindCollectionByNameOrId(idEnrollments); err == nil {
			for _, f := range []string{"stripe_status", "cancel_at_period_end", "current_period_end"} {
				enrollments.Fields.RemoveByName(f)
			}
			if err := app.Save(enrollments); err != nil {
				return err
			}
		}
		s := app.Settings()
		s.RateLimits.Rules = slices.DeleteFunc(s.RateLimits.Rules, func(r core.RateLimitRule) bool { return r.Label == webhookRateLimit.Label })
		return app.Save(s)
	})
}

// billingCustomersCollection: one Stripe customer per family, written by
// billing code only.
func billingCustomersCollection() *core.Collection {
	c := core.NewBaseCollection("billing_customers", idBillingCustomers)
	c.Fields.Add(
		relation("family", "_pb_users_auth_", true),
		&core.TextField{Name: "stripe_customer_id", Required: true, Max: 255},
		&core.TextField{Name: "email", Max: 255, Help: "the email last sent to Stripe"},
		&core.BoolField{Name: "email_synced"},
		created(), updated(),
	)
	c.AddIndex("idx_billing_customers_family", true, "`family`", "")
	c.AddIndex("idx_billing_customers_stripe", true, "`stripe_customer_id`", "")
	c.ListRule = rule(or(isParent+" && family = @request.auth.id", isAdmin))
	c.ViewRule = c.ListRule
	return c
}

// stripeEventsCollection is the event ledger: every verified webhook event,
// once (unique event_id), with what processing made of it.
func stripeEventsCollection() *core.Collection {
	c := core.NewBaseCollection("stripe_events", idStripeEvents)
	c.Fields.Add(
		&core.TextField{Name: "event_id", Required: true, Max: 255, Presentable: true},
		&core.TextField{Name: "type", Required: true, Max: 100},
		&core.TextField{Name: "object_type", Max: 100},
		&core.TextField{Name: "object_id", Max: 255},
		&core.NumberField{Name: "event_created", OnlyInt: true, Help: "Stripe's created, unix seconds"},
		&core.TextField{Name: "api_version", Max: 20},
		&core.BoolField{Name: "livemode"},
		&core.JSONField{Name: "payload", MaxSize: 1 << 20},
		&core.SelectField{Name: "status", Values: []string{"received", "processed", "failed", "ignored"}, MaxSelect: 1, Required: true},
		&core.TextField{Name: "error", Max: 2000, Help: "why processing failed or the event was ignored"},
		&core.NumberField{Name: "attempts", OnlyInt: true, Min: minZero()},
		&core.DateField{Name: "processed_at"},
		created(), updated(),
	)
	c.AddIndex("idx_stripe_events_event_id", true, "`event_id`", "")
	c.AddIndex("idx_stripe_events_status", false, "`status`, `event_created`", "")
	c.AddIndex("idx_stripe_events_object", false, "`object_id`, `event_created`", "")
	c.AddIndex("idx_stripe_events_created", false, "`event_created`", "")
	c.ListRule = rule(isAdmin)
	c.ViewRule = rule(isAdmin)
	return c
}

// stripeObjectsCollection remembers, per Stripe object, the `created` of
// the newest state applied, so an older event never overwrites it.
func stripeObjectsCollection() *core.Collection {
	c := core.NewBaseCollection("stripe_objects", idStripeObjects)
	c.Fields.Add(
		&core.TextField{Name: "object_id", Required: true, Max: 255},
		&core.TextField{Name: "object_type", Max: 100},
		&core.NumberField{Name: "version", OnlyInt: true, Help: "unix seconds of the newest state applied"},
		&core.TextField{Name: "source", Max: 255, Help: "the event id, or fetch:<when> for a re-fetched state"},
		created(), updated(),
	)
	c.AddIndex("idx_stripe_objects_object", true, "`object_id`", "")
	return c
}

// ledgerEntriesCollection is the family ledger. amount is signed minor
// units: positive raises what the family owes (charge, refund paid out,
// fee), negative lowers it (payment, credit). source_key makes every
// movement recordable once, whichever path (webhook, route, CLI) sees it.
func ledgerEntriesCollection() *core.Collection {
	c := core.NewBaseCollection("ledger_entries", idLedgerEntries)
	c.Fields.Add(
		relation("family", "_pb_users_auth_", true),
		&core.SelectField{Name: "kind", Values: []string{"charge", "payment", "refund", "credit", "fee"}, MaxSelect: 1, Required: true},
		&core.NumberField{Name: "amount", Required: true, OnlyInt: true, Min: ptr(-100_000_000.0), Max: ptr(100_000_000.0), Help: "signed minor units"},
		&core.TextField{Name: "currency", Required: true, Pattern: currencyPattern},
		&core.TextField{Name: "description", Required: true, Max: 500},
		relation("payment", idPayments, false),
		relation("enrollment", idEnrollments, false),
		&core.SelectField{Name: "method", Values: []string{"stripe", "cash", "cheque", "transfer"}, MaxSelect: 1},
		&core.TextField{Name: "stripe_object", Max: 255, Help: "in_, pi_, re_ or ch_ id"},
		&core.TextField{Name: "stripe_payment_intent", Max: 255},
		&core.TextField{Name: "source_key", Required: true, Max: 300},
		&core.DateField{Name: "occurred_at"},
		created(),
	)
	c.AddIndex("idx_ledger_entries_source", true, "`source_key`", "")
	c.AddIndex("idx_ledger_entries_family", false, "`family`, `occurred_at`", "")
	c.AddIndex("idx_ledger_entries_pi", false, "`stripe_payment_intent`", "")
	c.AddIndex("idx_ledger_entries_payment", false, "`payment`", "")
	c.ListRule = rule(or(isParent+" && family = @request.auth.id", isAdmin))
	c.ViewRule = c.ListRule
	return c
}

// billingNoticesCollection records every receipt, dunning notice and admin
// alert, and whether it went to the email outbox.
func billingNoticesCollection() *core.Collection {
	c := core.NewBaseCollection("billing_notices", idBillingNotices)
	c.Fields.Add(
		relation("family", "_pb_users_auth_", false),
		relation("recipient", "_pb_users_auth_", false),
		&core.TextField{Name: "email", Max: 255},
		&core.SelectField{Name: "audience", Values: []string{"family", "admin"}, MaxSelect: 1, Required: true},
		&core.SelectField{Name: "kind", Values: []string{"receipt", "payment_failed", "action_required", "past_due", "refund"}, MaxSelect: 1, Required: true},
		&core.TextField{Name: "subject", Required: true, Max: 300},
		&core.TextField{Name: "body", Max: 10000},
		&core.TextField{Name: "link", Max: 2000},
		relation("payment", idPayments, false),
		&core.TextField{Name: "source_key", Required: true, Max: 300},
		&core.SelectField{Name: "status", Values: []string{"recorded", "enqueued"}, MaxSelect: 1, Required: true},
		&core.TextField{Name: "outbox_id", Max: 100},
		created(), updated(),
	)
	c.AddIndex("idx_billing_notices_source", true, "`source_key`", "")
	c.AddIndex("idx_billing_notices_family", false, "`family`, `created`", "")
	c.ListRule = rule(or(isParent+` && family = @request.auth.id && audience = "family"`, isAdmin))
	c.ViewRule = c.ListRule
	return c
}

var ledgerTriggers = []string{
	"CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON ledger_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END",
	"CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON ledger_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END",
}

var dropLedgerTriggers = []string{
	"DROP TRIGGER IF EXISTS ledger_entries_no_update",
	"DROP TRIGGER IF EXISTS ledger_entries_no_delete",
}
