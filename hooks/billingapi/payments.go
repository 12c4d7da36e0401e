package billingapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/audit"
	"cedarheights/billing"
	"cedarheights/hooks"
	"cedarheights/records"
)

// payments.go: the seed's /api/v1/payments routes.
//
//	GET  /api/v1/payments              role-scoped history (the payments ListRule)
//	POST /api/v1/payments/process      a card payment (Idempotency-Key header required)
//	POST /api/v1/payments/record       a cash, cheque or transfer payment (admins)
//	POST /api/v1/payments/{id}/refund  a full or partial refund (admins; an optional
//	                                   Idempotency-Key makes a retry refund once)
//
// Who may pay for a family is who may see its account (the users
// ViewRule: the parent itself, admins); recording and refunding follow the
// payments Create and Update rules (admins).

var paymentSorts = map[string]string{
	"created":  "created,id",
	"-created": "-created,-id",
	"amount":   "amount,id",
	"-amount":  "-amount,-id",
}

type paymentFilters struct {
	Status     string `json:"status"`
	Kind       string `json:"kind"`
	Method     string `json:"method"`
	Family     string `json:"family"`
	Enrollment string `json:"enrollment"`
}

var paymentStatuses = []any{"pending", "requires_action", "succeeded", "failed", "refunded", "partially_refunded", "disputed"}

func (f paymentFilters) validate() error {
	return validation.ValidateStruct(&f,
		validation.Field(&f.Status, validation.In(paymentStatuses...).Error("Must be pending, requires_action, succeeded, failed, refunded, partially_refunded or disputed.")),
		validation.Field(&f.Kind, validation.In(billing.PaymentKinds...).Error("Must be tuition, registration, materials, lesson_package or other.")),
		validation.Field(&f.Method, validation.In("stripe", "cash", "cheque", "transfer").Error("Must be stripe, cash, cheque or transfer.")),
		validation.Field(&f.Family, hooks.IsRecordID),
		validation.Field(&f.Enrollment, hooks.IsRecordID),
	)
}

// query narrows the ListRule: a parent asking for another family gets an
// empty page.
func (f paymentFilters) query() hooks.ListQuery {
	var conds []string
	params := dbx.Params{}
	add := func(field, value string) {
		if value != "" {
			conds = append(conds, field+" = {:"+field+"}")
			params[field] = value
		}
	}
	add("status", f.Status)
	add("kind", f.Kind)
	add("method", f.Method)
	add("family", f.Family)
	add("enrollment", f.Enrollment)
	return hooks.ListQuery{Filter: strings.Join(conds, " && "), Params: params}
}

func ListPayments(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	filters := paymentFilters{Status: q.Get("status"), Kind: q.Get("kind"), Method: q.Get("method"), Family: q.Get("family"), Enrollment: q.Get("enrollment")}
	page := hooks.ReadPageParams(e)
	if err := hooks.MergeErrors(filters.validate(), page.Validate(paymentSorts)); err != nil {
		return e.BadRequestError("Invalid query parameters.", err)
	}
	lq := filters.query()
	page.Apply(&lq, paymentSorts, "-created")
	result, records, err := hooks.ListVisible(e, "payments", lq)
	if err != nil {
		return err
	}
	if err := apis.EnrichRecords(e, records); err != nil {
		return hooks.EnrichError(e, err)
	}
	return e.JSON(http.StatusOK, result)
}

// ProcessPayment creates and confirms a PaymentIntent. 201 with the
// payment (and client_secret when 3-D Secure must be completed; 200 for a
// retry with the same key), 402 when declined, 409 when the key was used
// for another payment, 503 offline.
func ProcessPayment(e *core.RequestEvent) error {
	key := strings.TrimSpace(e.Request.Header.Get("Idempotency-Key"))
	if key == "" {
		return e.BadRequestError("The Idempotency-Key header is required: a retried request must not pay twice.",
			validation.Errors{"Idempotency-Key": validation.ErrRequired})
	}
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	req := billing.PaymentRequest{
		Family: b.Text("family"), Enrollment: b.Text("enrollment"), Amount: b.Int("amount"), Currency: b.Text("currency"),
		Kind: b.Text("kind"), Description: b.Text("description"), PaymentMethod: b.Text("payment_method"),
		ReturnURL: b.Text("return_url"), IdempotencyKey: key,
	}
	if err := b.Check(e); err != nil {
		return err
	}
	family, err := payingFamily(e, req.Family)
	if err != nil {
		return err
	}
	req.Family = family

	ctx, cancel := billingContext(e)
	defer cancel()
	res, err := billing.From(e.App).ProcessPayment(ctx, req)
	if err != nil {
		return billingError(e, err)
	}
	if err := apis.EnrichRecord(e, res.Payment); err != nil {
		return hooks.EnrichError(e, err)
	}
	out := map[string]any{
		"payment": res.Payment, "status": res.Payment.GetString("status"),
		"requires_action": res.ClientSecret != "", "replayed": res.Replayed,
	}
	if res.ClientSecret != "" {
		out["client_secret"] = res.ClientSecret
	}
	status := http.StatusCreated
	if res.Replayed {
		status = http.StatusOK // nothing new: the first request's payment
	}
	return e.JSON(status, out)
}

// payingFamily is the family a payment is for: the one named (an admin
// paying for a family) or the caller's own. The caller must be able to see
// that account (users ViewRule), else 404.
func payingFamily(e *core.RequestEvent, family string) (string, error) {
	if family == "" {
		if e.Auth == nil || e.Auth.Collection().Name != "users" {
			return "", e.BadRequestError("Invalid submitted data.", validation.Errors{"family": validation.ErrRequired})
		}
		family = e.Auth.Id
	}
	if !records.IDPattern.MatchString(family) {
		return "", e.BadRequestError("Invalid submitted data.", validation.Errors{"family": validation.NewError("validation_invalid_id", "Must be a record id.")})
	}
	if _, err := hooks.FindVisible(e, "users", family); err != nil {
		return "", err
	}
	return family, nil
}

// RecordPayment records a payment received by hand (201 with the
// payment); it works offline.
func RecordPayment(e *core.RequestEvent) error {
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	in := billing.OfflinePayment{
		Family: b.Text("family"), Enrollment: b.Text("enrollment"), Amount: b.Int("amount"), Currency: b.Text("currency"),
		Kind: b.Text("kind"), Method: b.Text("method"), Description: b.Text("description"), Reference: b.Text("reference"),
		ReceivedAt: b.Date("received_at"),
	}
	if err := b.Check(e); err != nil {
		return err
	}
	collection, err := e.App.FindCachedCollectionByNameOrId("payments")
	if err != nil {
		return e.InternalServerError("", err)
	}
	var payment *core.Record
	err = hooks.WriteTx(e, func(txApp core.App) error {
		// The payments CreateRule decides who may record money.
		probe := core.NewRecord(collection)
		probe.Load(map[string]any{"family": in.Family, "amount": in.Amount, "currency": in.Currency, "kind": in.Kind, "method": in.Method, "status": "succeeded"})
		if err := hooks.CheckCreate(txApp, e, probe, b.Data); err != nil {
			return err
		}
		payment, err = billing.RecordPayment(txApp, in)
		return err
	})
	if err != nil {
		return billingError(e, err)
	}
	return hooks.RespondRecord(e, http.StatusCreated, payment)
}

// RefundPayment refunds all (no amount) or part of a payment.
func RefundPayment(e *core.RequestEvent) error {
	payment, err := hooks.FindVisible(e, "payments", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	req := billing.RefundRequest{
		Payment: payment.Id, Amount: b.Int("amount"), Reason: b.Text("reason"),
		IdempotencyKey: strings.TrimSpace(e.Request.Header.Get("Idempotency-Key")),
	}
	if err := b.Check(e); err != nil {
		return err
	}
	// The payments UpdateRule decides who may refund (admins); a family
	// sees its payment but gets 403.
	if err := hooks.CheckRule(e.App, e, payment, payment.Collection().UpdateRule, map[string]any{"status": "refunded"}); err != nil {
		return err
	}
	ctx, cancel := billingContext(e)
	defer cancel()
	updated, err := billing.From(e.App).Refund(ctx, req)
	if err != nil {
		return billingError(e, err)
	}
	return hooks.RespondRecord(e, http.StatusOK, updated)
}

// billingContext bounds the Stripe calls of a request and carries the
// caller, whom the audit log records as the actor of billing's writes.
func billingContext(e *core.RequestEvent) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(e.Request.Context(), 60*time.Second)
	return audit.ContextWithActor(ctx, audit.RequestActor(e)), cancel
}
