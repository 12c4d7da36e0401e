package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Refund holds (billing/refund_holds.go): a card refund reserves its amount
// on the payment, in the transaction that decides it fits, before Stripe is
// called outside any transaction; the hold is settled with Stripe's refund
// or released when Stripe refuses. Written by billing code only; admins may
// read them.
const idRefundHolds = "pbc_refund_holds"

func init() {
	m.Register(func(app core.App) error {
		return app.Save(refundHoldsCollection())
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId(idRefundHolds)
		if err != nil {
			return nil
		}
		return app.Delete(c)
	})
}

func refundHoldsCollection() *core.Collection {
	c := core.NewBaseCollection("refund_holds", idRefundHolds)
	c.Fields.Add(
		&core.RelationField{Name: "payment", CollectionId: idPayments, MaxSelect: 1, Required: true, CascadeDelete: true},
		&core.NumberField{Name: "amount", Required: true, OnlyInt: true, Min: ptr(1.0), Max: ptr(100_000_000.0), Help: "minor units"},
		&core.SelectField{Name: "status", Values: []string{"pending", "settled"}, MaxSelect: 1, Required: true},
		&core.TextField{Name: "idempotency_key", Max: 255, Help: "the client's Idempotency-Key of POST /api/v1/payments/{id}/refund"},
		&core.TextField{Name: "stripe_refund", Max: 255, Help: "the re_ id once settled"},
		&core.DateField{Name: "expires_at", Required: true, Help: "after this a pending hold is resolved against Stripe's refunds"},
		created(), updated(),
	)
	c.AddIndex("idx_refund_holds_payment", false, "`payment`, `status`", "")
	c.AddIndex("idx_refund_holds_key", true, "`payment`, `idempotency_key`", "`idempotency_key` != ''")
	c.AddIndex("idx_refund_holds_pending", false, "`status`, `expires_at`", "")
	c.ListRule = rule(isAdmin)
	c.ViewRule = rule(isAdmin)
	return c
}
