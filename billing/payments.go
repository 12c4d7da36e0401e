package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"

	"cedarheights/academy"
	"cedarheights/records"
)

// One-off payments: a card payment through a PaymentIntent the family's
// client confirms (3-D Secure answered with the client secret), or a cash,
// cheque or transfer payment an admin records by hand. Both end in settle:
// the payment succeeded, its charge and payment entries are in the ledger,
// a receipt is recorded, all in one transaction.

const paymentsCollection = "payments"

// Payment statuses.
const (
	StatusPending           = "pending"
	StatusRequiresAction    = "requires_action"
	StatusSucceeded         = "succeeded"
	StatusFailed            = "failed"
	StatusRefunded          = "refunded"
	StatusPartiallyRefunded = "partially_refunded"
)

// PaymentKinds are the values of payments.kind.
var PaymentKinds = []any{"tuition", "registration", "materials", "lesson_package", "other"}

// OfflineMethods are the methods an admin records by hand.
var OfflineMethods = []any{"cash", "cheque", "transfer"}

var (
	currencyPattern      = regexp.MustCompile(`^[a-z]{3}$`)
	paymentMethodPattern = regexp.MustCompile(`^pm_[A-Za-z0-9_]{1,250}$`)
	idempotencyPattern   = regexp.MustCompile(`^[\x21-\x7e]{8,200}$`)
)

// MaxAmount is the largest amount one payment may carry (minor units).
const MaxAmount = 100_000_000

// ErrIdempotencyConflict: the key was already used for a different payment.
var ErrIdempotencyConflict = errors.New("this Idempotency-Key was already used for a different payment")

// DeclineError is a payment the card issuer or Stripe refused; the payment
// is recorded as failed.
type DeclineError struct {
	Payment *core.Record
	Code    string
	Message string
}

func (e *DeclineError) Error() string { return "payment declined: " + e.Message }

// PaymentRequest is a card payment a family (or an admin for it) makes.
type PaymentRequest struct {
	Family         string `json:"family"`
	Enrollment     string `json:"enrollment"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"` // default: the academy's
	Kind           string `json:"kind"`
	Description    string `json:"description"`
	PaymentMethod  string `json:"payment_method"` // a pm_ id from Stripe Elements
	ReturnURL      string `json:"return_url"`     // for redirect-based methods; without it they are not offered
	IdempotencyKey string `json:"-"`              // the client's Idempotency-Key header
}

func (r *PaymentRequest) validate() error {
	return validation.ValidateStruct(r,
		validation.Field(&r.Amount, validation.Required, validation.Min(int64(1)), validation.Max(int64(MaxAmount))),
		validation.Field(&r.Currency, validation.Match(currencyPattern).Error("Must be a lower-case ISO 4217 code such as cad.")),
		validation.Field(&r.Kind, validation.Required, validation.In(PaymentKinds...).Error("Must be tuition, registration, materials, lesson_package or other.")),
		validation.Field(&r.Description, validation.RuneLength(0, 500)),
		validation.Field(&r.PaymentMethod, validation.Required, validation.Match(paymentMethodPattern).Error("Must be a Stripe payment method id (pm_…).")),
		validation.Field(&r.Enrollment, records.IsID),
		validation.Field(&r.ReturnURL, validation.RuneLength(0, 2000)),
	)
}

// ValidIdempotencyKey reports whether a client's Idempotency-Key is usable
// (8–200 printable ASCII characters).
func ValidIdempotencyKey(k string) bool { return idempotencyPattern.MatchString(k) }

// PaymentResult is the outcome of ProcessPayment.
type PaymentResult struct {
	Payment      *core.Record
	ClientSecret string // set when the client must complete an action (3-D Secure)
	Replayed     bool   // the Idempotency-Key was seen before
}

// ProcessPayment creates and confirms a PaymentIntent for req and records
// the payment. The client's Idempotency-Key makes a retried request return
// the first one's payment; Stripe sees a key derived from it, so a retry
// after a lost answer never charges twice.
func (s *Service) ProcessPayment(ctx context.Context, req PaymentRequest) (PaymentResult, error) {
	if req.Currency == "" {
		req.Currency = academyCurrency(s.app)
	}
	if err := req.validate(); err != nil {
		return PaymentResult{}, err
	}
	if !ValidIdempotencyKey(req.IdempotencyKey) {
		return PaymentResult{}, validation.Errors{"Idempotency-Key": validation.NewError("validation_idempotency_key", "The Idempotency-Key header must be 8 to 200 printable characters.")}
	}
	if _, err := loadFamily(s.app, req.Family); err != nil {
		return PaymentResult{}, err
	}
	if err := checkEnrollmentFamily(s.app, req.Enrollment, req.Family); err != nil {
		return PaymentResult{}, err
	}
	sc, err := s.stripe()
	if err != nil {
		return PaymentResult{}, err
	}

	payment, replayed, err := s.reservePayment(ctx, req)
	if err != nil {
		return PaymentResult{}, err
	}
	if replayed {
		switch payment.GetString("status") {
		case StatusPending:
			// The first attempt lost Stripe's answer: ask again with the
			// same key, Stripe replays it.
		case StatusRequiresAction:
			return s.refreshPaymentIntent(ctx, payment)
		default:
			return PaymentResult{Payment: payment, Replayed: true}, nil
		}
	}

	customer, err := s.EnsureCustomer(ctx, req.Family)
	if err != nil {
		return PaymentResult{}, err
	}
	params := &stripe.PaymentIntentParams{
		Amount:        stripe.Int64(req.Amount),
		Currency:      stripe.String(req.Currency),
		Customer:      stripe.String(customer),
		PaymentMethod: stripe.String(req.PaymentMethod),
		Confirm:       stripe.Bool(true),
		Description:   stripe.String(paymentDescription(req.Kind, req.Description)),
		Metadata: map[string]string{
			MetaFamily: req.Family, MetaPayment: payment.Id, "kind": req.Kind, MetaEnrollment: req.Enrollment,
		},
		AutomaticPaymentMethods: &stripe.PaymentIntentAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true)},
	}
	if req.ReturnURL != "" {
		params.ReturnURL = stripe.String(req.ReturnURL)
	} else {
		params.AutomaticPaymentMethods.AllowRedirects = stripe.String("never")
	}
	params.Context = ctx
	params.SetIdempotencyKey("cedarheights-pay-" + req.Family + "-" + req.IdempotencyKey)
	pi, err := sc.PaymentIntents.New(params)

	var stripeErr *stripe.Error
	if errors.As(err, &stripeErr) && stripeErr.Type == stripe.ErrorTypeCard {
		if stripeErr.PaymentIntent != nil {
			payment.Set("stripe_payment_intent_id", stripeErr.PaymentIntent.ID)
		}
		payment.Set("status", StatusFailed)
		payment.Set("failure_message", truncate(stripeErr.Msg, 500))
		if err := s.tx(ctx, func(txApp core.App) error { return txApp.Save(payment) }); err != nil {
			return PaymentResult{}, err
		}
		return PaymentResult{}, &DeclineError{Payment: payment, Code: string(stripeErr.Code), Message: stripeErr.Msg}
	}
	if err != nil {
		return PaymentResult{}, fmt.Errorf("create PaymentIntent: %w", err)
	}
	return s.applyPaymentIntentResult(ctx, payment, pi)
}

// reservePayment creates the pending payment that holds the client's key,
// or returns the one that already does (replayed = true). A key reused
// for another amount, currency or kind is a conflict.
func (s *Service) reservePayment(ctx context.Context, req PaymentRequest) (*core.Record, bool, error) {
	find := func() (*core.Record, error) {
		return s.app.FindFirstRecordByFilter(paymentsCollection, "family = {:f} && idempotency_key = {:k}",
			dbx.Params{"f": req.Family, "k": req.IdempotencyKey})
	}
	same := func(p *core.Record) (*core.Record, bool, error) {
		if int64(p.GetInt("amount")) != req.Amount || p.GetString("currency") != req.Currency || p.GetString("kind") != req.Kind {
			return nil, false, ErrIdempotencyConflict
		}
		return p, true, nil
	}
	if p, err := find(); err == nil {
		return same(p)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, err
	}

	c, err := s.app.FindCachedCollectionByNameOrId(paymentsCollection)
	if err != nil {
		return nil, false, err
	}
	p := core.NewRecord(c)
	p.Set("family", req.Family)
	p.Set("enrollment", req.Enrollment)
	p.Set("amount", req.Amount)
	p.Set("currency", req.Currency)
	p.Set("status", StatusPending)
	p.Set("kind", req.Kind)
	p.Set("method", "stripe")
	p.Set("description", req.Description)
	p.Set("idempotency_key", req.IdempotencyKey)
	if err := s.tx(ctx, func(txApp core.App) error { return txApp.Save(p) }); err != nil {
		// A concurrent request with the same key won the unique index.
		if existing, ferr := find(); ferr == nil {
			return same(existing)
		}
		return nil, false, err
	}
	return p, false, nil
}

// refreshPaymentIntent answers a replayed request whose payment waits for
// the client: it may have completed meanwhile.
func (s *Service) refreshPaymentIntent(ctx context.Context, payment *core.Record) (PaymentResult, error) {
	sc, err := s.stripe()
	if err != nil {
		return PaymentResult{}, err
	}
	params := &stripe.PaymentIntentParams{}
	params.Context = ctx
	pi, err := sc.PaymentIntents.Get(payment.GetString("stripe_payment_intent_id"), params)
	if err != nil {
		return PaymentResult{}, fmt.Errorf("retrieve PaymentIntent: %w", err)
	}
	res, err := s.applyPaymentIntentResult(ctx, payment, pi)
	res.Replayed = true
	return res, err
}

// applyPaymentIntentResult records what Stripe answered about the payment.
func (s *Service) applyPaymentIntentResult(ctx context.Context, payment *core.Record, pi *stripe.PaymentIntent) (PaymentResult, error) {
	res := PaymentResult{Payment: payment}
	err := s.tx(ctx, func(txApp core.App) error {
		fresh, err := txApp.FindRecordById(paymentsCollection, payment.Id)
		if err != nil {
			return err
		}
		fresh.Set("stripe_payment_intent_id", pi.ID)
		switch pi.Status {
		case stripe.PaymentIntentStatusSucceeded:
			if err := settle(txApp, fresh, piSettlement(pi)); err != nil {
				return err
			}
		case stripe.PaymentIntentStatusRequiresAction:
			setStatus(fresh, StatusRequiresAction)
			res.ClientSecret = pi.ClientSecret
		case stripe.PaymentIntentStatusRequiresPaymentMethod, stripe.PaymentIntentStatusCanceled:
			setStatus(fresh, StatusFailed)
			if pi.LastPaymentError != nil {
				fresh.Set("failure_message", truncate(pi.LastPaymentError.Msg, 500))
			}
		default: // processing, requires_confirmation, requires_capture
			setStatus(fresh, StatusPending)
		}
		if err := txApp.Save(fresh); err != nil {
			return err
		}
		res.Payment = fresh
		return nil
	})
	return res, err
}

// setStatus moves a payment to status unless it already settled: a late
// or replayed answer never takes a succeeded or refunded payment back. A
// disputed payment stays disputed until its dispute closes (applyDispute):
// a refund recorded meanwhile must not make it refundable again.
func setStatus(p *core.Record, status string) {
	switch p.GetString("status") {
	case StatusDisputed:
		return
	case StatusSucceeded, StatusRefunded, StatusPartiallyRefunded:
		if status != StatusRefunded && status != StatusPartiallyRefunded {
			return
		}
	}
	p.Set("status", status)
}

// settledStatus is a payment's status from its refunds alone.
func settledStatus(payment *core.Record) string {
	switch refunded := payment.GetInt("amount_refunded"); {
	case refunded <= 0:
		return StatusSucceeded
	case refunded < payment.GetInt("amount"):
		return StatusPartiallyRefunded
	}
	return StatusRefunded
}

// settlement is a successful payment as the ledger records it.
type settlement struct {
	Key          string // "pi:<id>", "invoice:<id>", "payment:<id>": prefix of the entries' source keys
	Charged      int64  // the charge the payment settles (an invoice's total)
	Paid         int64
	Currency     string
	Method       string
	StripeObject string
	PI           string
	When         time.Time
	ChargeText   string // what was charged, for the ledger and the receipt
}

func piSettlement(pi *stripe.PaymentIntent) settlement {
	paid := pi.AmountReceived
	if paid == 0 {
		paid = pi.Amount
	}
	return settlement{
		Key: "pi:" + pi.ID, Charged: paid, Paid: paid, Currency: string(pi.Currency), Method: "stripe",
		StripeObject: pi.ID, PI: pi.ID, When: time.Unix(pi.Created, 0), ChargeText: pi.Description,
	}
}

// settle marks payment (already saved once, so it has an id) succeeded and
// posts its charge and payment entries and its receipt, once each; run it
// inside the transaction that saves payment again (the caller does).
func settle(txApp core.App, payment *core.Record, st settlement) error {
	setStatus(payment, StatusSucceeded)
	payment.Set("failure_message", "")
	family := payment.GetString("family")
	text := st.ChargeText
	if text == "" {
		text = paymentDescription(payment.GetString("kind"), payment.GetString("description"))
	}
	base := Entry{
		Family: family, Currency: st.Currency, Payment: payment.Id, Enrollment: payment.GetString("enrollment"),
		StripeObject: st.StripeObject, StripePaymentIntent: st.PI, OccurredAt: st.When,
	}
	charge := base
	charge.Kind, charge.Amount, charge.Description, charge.SourceKey = KindCharge, st.Charged, text, st.Key+":charge"
	if _, err := post(txApp, charge); err != nil {
		return err
	}
	paid := base
	paid.Kind, paid.Amount, paid.Method, paid.SourceKey = KindPayment, -st.Paid, st.Method, st.Key+":payment"
	paid.Description = "Payment (" + methodLabel(st.Method) + ") for " + text
	if _, err := post(txApp, paid); err != nil {
		return err
	}
	body := fmt.Sprintf("We received your payment of %s (%s) for %s on %s.\n\nReceipt number: %s",
		FormatMoney(st.Paid, st.Currency), methodLabel(st.Method), text, st.When.UTC().Format("2 January 2006"), payment.Id)
	if ref := payment.GetString("reference"); ref != "" {
		body += "\nReference: " + ref
	}
	return tellFamily(txApp, family, NoticeReceipt, "receipt:"+payment.Id,
		"Receipt: "+FormatMoney(st.Paid, st.Currency)+" received", body, "", payment.Id)
}

// OfflinePayment is a payment an admin received by hand.
type OfflinePayment struct {
	Family      string    `json:"family"`
	Enrollment  string    `json:"enrollment"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"` // default: the academy's
	Kind        string    `json:"kind"`
	Method      string    `json:"method"` // cash, cheque, transfer
	Description string    `json:"description"`
	Reference   string    `json:"reference"` // cheque number, transfer reference
	ReceivedAt  time.Time `json:"received_at"`
}

func (p *OfflinePayment) validate() error {
	return validation.ValidateStruct(p,
		validation.Field(&p.Family, validation.Required, records.IsID),
		validation.Field(&p.Amount, validation.Required, validation.Min(int64(1)), validation.Max(int64(MaxAmount))),
		validation.Field(&p.Currency, validation.Match(currencyPattern).Error("Must be a lower-case ISO 4217 code such as cad.")),
		validation.Field(&p.Kind, validation.Required, validation.In(PaymentKinds...).Error("Must be tuition, registration, materials, lesson_package or other.")),
		validation.Field(&p.Method, validation.Required, validation.In(OfflineMethods...).Error("Must be cash, cheque or transfer.")),
		validation.Field(&p.Description, validation.RuneLength(0, 500)),
		validation.Field(&p.Reference, validation.RuneLength(0, 200)),
		validation.Field(&p.Enrollment, records.IsID),
	)
}

// RecordPayment records a cash, cheque or transfer payment: the payment,
// its charge and payment entries and the receipt, in one transaction. It
// works the same online and offline.
func RecordPayment(app core.App, in OfflinePayment) (*core.Record, error) {
	if in.Currency == "" {
		in.Currency = academyCurrency(app)
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	if _, err := loadFamily(app, in.Family); err != nil {
		return nil, err
	}
	if err := checkEnrollmentFamily(app, in.Enrollment, in.Family); err != nil {
		return nil, err
	}
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = time.Now()
	}
	c, err := app.FindCachedCollectionByNameOrId(paymentsCollection)
	if err != nil {
		return nil, err
	}
	p := core.NewRecord(c)
	err = app.RunInTransaction(func(txApp core.App) error {
		p.Set("family", in.Family)
		p.Set("enrollment", in.Enrollment)
		p.Set("amount", in.Amount)
		p.Set("currency", in.Currency)
		p.Set("kind", in.Kind)
		p.Set("method", in.Method)
		p.Set("description", in.Description)
		p.Set("reference", in.Reference)
		p.Set("status", StatusPending)
		if err := txApp.Save(p); err != nil {
			return err
		}
		if err := settle(txApp, p, settlement{
			Key: "payment:" + p.Id, Charged: in.Amount, Paid: in.Amount, Currency: in.Currency,
			Method: in.Method, When: in.ReceivedAt,
		}); err != nil {
			return err
		}
		return txApp.Save(p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// checkEnrollmentFamily: an enrollment named on a payment must be one of
// the family's.
func checkEnrollmentFamily(app core.App, enrollment, family string) error {
	if enrollment == "" {
		return nil
	}
	bad := validation.Errors{"enrollment": validation.NewError("validation_not_family_enrollment", "Must be an enrollment of the family's.")}
	e, err := app.FindRecordById("enrollments", enrollment)
	if errors.Is(err, sql.ErrNoRows) {
		return bad
	}
	if err != nil {
		return err
	}
	student, err := app.FindRecordById("students", e.GetString("student"))
	if err != nil || student.GetString("parent") != family {
		return bad
	}
	return nil
}

// academyCurrency is the academy's currency, "cad" when unset.
func academyCurrency(app core.App) string {
	if s, err := academy.Load(app); err == nil && s.Currency != "" {
		return s.Currency
	}
	return "cad"
}

var kindLabels = map[string]string{
	"tuition": "Tuition", "registration": "Registration fee", "materials": "Books and materials",
	"lesson_package": "Lesson package", "other": "Other",
}

func paymentDescription(kind, description string) string {
	label := kindLabels[kind]
	if label == "" {
		label = "Payment"
	}
	if d := strings.TrimSpace(description); d != "" {
		return label + ": " + d
	}
	return label
}

func methodLabel(method string) string {
	switch method {
	case "stripe":
		return "card"
	case "":
		return "unknown method"
	}
	return method
}
