package hooks

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/stripe/stripe-go/v76"

	"cedarheights/billing"
)

// billing_routes.go: payment methods, the family ledger and its next
// invoice, and the subscription of an enrollment.
//
//	POST  /api/v1/billing/setup-intent                      {family?} → {client_secret}
//	POST  /api/v1/billing/portal                            {family?, return_url?} → {url}
//	GET   /api/v1/billing/families/{id}/ledger              entries with running balance, balance
//	GET   /api/v1/billing/families/{id}/preview             the next invoice, line by line
//	POST  /api/v1/enrollments/{id}/subscription             {trial_days?} create
//	PATCH /api/v1/enrollments/{id}/subscription             {plan} change plan (prorated)
//	POST  /api/v1/enrollments/{id}/subscription/pause       pause for a break
//	POST  /api/v1/enrollments/{id}/subscription/resume      resume (or undo a withdrawal)
//	POST  /api/v1/enrollments/{id}/subscription/withdraw    cancel at period end
//
// Family routes answer whoever may see the family's account (users
// ViewRule) and read the ledger under its own ListRule; subscription routes
// need the enrollments UpdateRule (admins).

func bindBillingRoutes(g *router.RouterGroup[*core.RequestEvent]) {
	b := g.Group("/billing").Bind(apis.RequireAuth())
	b.POST("/setup-intent", setupIntent)
	b.POST("/portal", portalSession)
	b.GET("/families/{id}/ledger", familyLedger)
	b.GET("/families/{id}/preview", familyPreview)

	s := g.Group("/enrollments/{id}/subscription").Bind(apis.RequireAuth())
	s.POST("", func(e *core.RequestEvent) error { return subscriptionAction(e, "create") })
	s.PATCH("", func(e *core.RequestEvent) error { return subscriptionAction(e, "change") })
	s.POST("/pause", func(e *core.RequestEvent) error { return subscriptionAction(e, "pause") })
	s.POST("/resume", func(e *core.RequestEvent) error { return subscriptionAction(e, "resume") })
	s.POST("/withdraw", func(e *core.RequestEvent) error { return subscriptionAction(e, "withdraw") })
}

func setupIntent(e *core.RequestEvent) error {
	b, err := readBillingBody(e)
	if err != nil {
		return err
	}
	family := b.str("family")
	if err := b.check(e); err != nil {
		return err
	}
	if family, err = payingFamily(e, family); err != nil {
		return err
	}
	ctx, cancel := billingContext(e)
	defer cancel()
	secret, err := billing.From(e.App).SetupIntent(ctx, family)
	if err != nil {
		return billingError(e, err)
	}
	return e.JSON(http.StatusOK, map[string]any{"client_secret": secret})
}

func portalSession(e *core.RequestEvent) error {
	b, err := readBillingBody(e)
	if err != nil {
		return err
	}
	family, returnURL := b.str("family"), b.str("return_url")
	if returnURL != "" {
		if u, perr := url.Parse(returnURL); perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			b.errs["return_url"] = validation.NewError("validation_invalid_url", "Must be an absolute http(s) URL.")
		}
	}
	if err := b.check(e); err != nil {
		return err
	}
	if family, err = payingFamily(e, family); err != nil {
		return err
	}
	ctx, cancel := billingContext(e)
	defer cancel()
	link, err := billing.From(e.App).PortalSession(ctx, family, returnURL)
	if err != nil {
		return billingError(e, err)
	}
	return e.JSON(http.StatusOK, map[string]any{"url": link})
}

// familyLedger lists the family's entries under the ledger's ListRule,
// oldest first, with the running and final balance per currency.
func familyLedger(e *core.RequestEvent) error {
	family, err := findVisible(e, "users", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	entries, err := allVisible(e, "ledger_entries", listQuery{Filter: "family = {:f}", Params: map[string]any{"f": family.Id}, Sort: "occurred_at,created,id"})
	if err != nil {
		return err
	}
	lines, balance := billing.StatementLines(entries)
	return e.JSON(http.StatusOK, map[string]any{
		"family": family.Id, "balance": balance, "entries": lines,
		"sign": "positive amounts raise what the family owes (charge, refund paid out, fee); negative ones lower it (payment, credit)",
	})
}

func familyPreview(e *core.RequestEvent) error {
	family, err := findVisible(e, "users", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	ctx, cancel := billingContext(e)
	defer cancel()
	preview, err := billing.From(e.App).Preview(ctx, family.Id)
	if err != nil {
		return billingError(e, err)
	}
	return e.JSON(http.StatusOK, preview)
}

// subscriptionAction checks the enrollments UpdateRule for the status the
// action would write, then asks Stripe.
func subscriptionAction(e *core.RequestEvent, action string) error {
	enrollment, err := findVisible(e, "enrollments", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := readBillingBody(e)
	if err != nil {
		return err
	}
	trialDays, plan := b.int("trial_days"), b.str("plan")
	if action == "change" && plan == "" {
		b.errs["plan"] = validation.ErrRequired
	}
	if plan != "" && !idPattern.MatchString(plan) {
		b.errs["plan"] = validation.NewError("validation_invalid_id", "Must be a record id.")
	}
	if err := b.check(e); err != nil {
		return err
	}
	change := map[string]any{}
	switch action {
	case "change":
		change["plan"] = plan
	case "withdraw":
		change["status"] = "withdrawn"
	case "resume":
		change["status"] = "active"
	}
	if err := checkRule(e.App, e, enrollment, enrollment.Collection().UpdateRule, change); err != nil {
		return err
	}

	ctx, cancel := billingContext(e)
	defer cancel()
	svc := billing.From(e.App)
	var updated *core.Record
	switch action {
	case "create":
		updated, err = svc.Subscribe(ctx, enrollment.Id, billing.SubscribeOptions{TrialDays: int(trialDays)})
	case "change":
		updated, err = svc.ChangePlan(ctx, enrollment.Id, plan)
	case "pause":
		updated, err = svc.Pause(ctx, enrollment.Id)
	case "resume":
		updated, err = svc.Resume(ctx, enrollment.Id)
	case "withdraw":
		updated, err = svc.Withdraw(ctx, enrollment.Id)
	}
	if err != nil {
		return billingError(e, err)
	}
	if updated == nil {
		updated, err = e.App.FindRecordById("enrollments", enrollment.Id)
		if err != nil {
			return e.InternalServerError("", err)
		}
	}
	return respondRecord(e, http.StatusOK, updated)
}

// -------------------------------------------------------------------
// Bodies and errors

// billingBody reads the typed fields of a JSON body, collecting one error
// per mistyped field.
type billingBody struct {
	body map[string]any
	errs validation.Errors
}

func readBillingBody(e *core.RequestEvent) (*billingBody, error) {
	info, err := e.RequestInfo()
	if err != nil {
		return nil, requestError(e, err)
	}
	body := info.Body
	if body == nil {
		body = map[string]any{}
	}
	return &billingBody{body: body, errs: validation.Errors{}}, nil
}

func (b *billingBody) str(key string) string {
	v, ok := b.body[key]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		b.errs[key] = errNotString
		return ""
	}
	return strings.TrimSpace(s)
}

// int reads a whole number (minor units, days).
func (b *billingBody) int(key string) int64 {
	v, ok := b.body[key]
	if !ok || v == nil {
		return 0
	}
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1e15 {
		b.errs[key] = validation.NewError("validation_invalid_integer", "Must be a whole number (amounts are in minor units, e.g. cents).")
		return 0
	}
	return int64(f)
}

func (b *billingBody) date(key string) time.Time {
	s := b.str(key)
	if s == "" {
		return time.Time{}
	}
	d, err := parseDate(s)
	if err != nil {
		b.errs[key] = errNotDate
		return time.Time{}
	}
	return d.Time()
}

func (b *billingBody) check(e *core.RequestEvent) error {
	if len(b.errs) > 0 {
		return e.BadRequestError("Invalid submitted data.", b.errs)
	}
	return nil
}

func declineCode(code string) string {
	if code == "" {
		return "card_declined"
	}
	return code
}

// billingError answers an error from package billing: field errors 400, a
// decline 402, a reused Idempotency-Key 409, offline or unconfigured 503,
// a Stripe failure or a refund whose outcome is unknown 502.
func billingError(e *core.RequestEvent, err error) error {
	if apiErr := asApiError(err); apiErr != nil {
		return apiErr
	}
	var fields validation.Errors
	var decline *billing.DeclineError
	var stripeErr *stripe.Error
	switch {
	case errors.As(err, &fields):
		return e.BadRequestError("Invalid submitted data.", fields)
	case errors.As(err, &decline):
		if decline.Payment != nil {
			_ = apis.EnrichRecord(e, decline.Payment)
		}
		return e.JSON(http.StatusPaymentRequired, map[string]any{
			"status": http.StatusPaymentRequired, "message": decline.Message,
			"data":    map[string]any{"payment_method": map[string]any{"code": declineCode(decline.Code), "message": decline.Message}},
			"payment": decline.Payment,
		})
	case errors.Is(err, billing.ErrIdempotencyConflict):
		return router.NewApiError(http.StatusConflict, err.Error(), validation.Errors{"Idempotency-Key": validation.NewError("validation_idempotency_conflict", err.Error())})
	case errors.Is(err, billing.ErrRefundOutcomeUnknown):
		e.App.Logger().Error("billing: refund outcome unknown", "error", err)
		return router.NewApiError(http.StatusBadGateway, billing.ErrRefundOutcomeUnknown.Error()+". Do not refund it again before then.", nil)
	case errors.Is(err, billing.ErrOffline):
		return router.NewApiError(http.StatusServiceUnavailable, err.Error(), nil)
	case errors.As(err, &stripeErr):
		e.App.Logger().Error("billing: Stripe call failed", "error", err)
		return router.NewApiError(http.StatusBadGateway, "Stripe could not complete the request: "+stripeErr.Msg, nil)
	}
	return e.InternalServerError("", err)
}
