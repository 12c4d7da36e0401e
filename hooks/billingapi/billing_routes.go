package billingapi

import (
	"errors"
	"net/http"
	"net/url"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/stripe/stripe-go/v76"

	"cedarheights/billing"
	"cedarheights/hooks"
	"cedarheights/records"
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

func SetupIntent(e *core.RequestEvent) error {
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	family := b.Text("family")
	if err := b.Check(e); err != nil {
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

func PortalSession(e *core.RequestEvent) error {
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	family, returnURL := b.Text("family"), b.Text("return_url")
	if returnURL != "" {
		if u, perr := url.Parse(returnURL); perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			b.Add("return_url", validation.NewError("validation_invalid_url", "Must be an absolute http(s) URL."))
		}
	}
	if err := b.Check(e); err != nil {
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

// FamilyLedger lists the family's entries under the ledger's ListRule,
// oldest first, with the running and final balance per currency.
func FamilyLedger(e *core.RequestEvent) error {
	family, err := hooks.FindVisible(e, "users", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	entries, err := hooks.AllVisible(e, "ledger_entries", hooks.ListQuery{Filter: "family = {:f}", Params: map[string]any{"f": family.Id}, Sort: "occurred_at,created,id"})
	if err != nil {
		return err
	}
	lines, balance := billing.StatementLines(entries)
	return e.JSON(http.StatusOK, map[string]any{
		"family": family.Id, "balance": balance, "entries": lines,
		"sign": "positive amounts raise what the family owes (charge, refund paid out, fee); negative ones lower it (payment, credit)",
	})
}

func FamilyPreview(e *core.RequestEvent) error {
	family, err := hooks.FindVisible(e, "users", e.Request.PathValue("id"))
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

// Subscription answers one action on an enrollment's subscription: create,
// change, pause, resume or withdraw.
func Subscription(action string) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error { return subscriptionAction(e, action) }
}

// subscriptionAction checks the enrollments UpdateRule for the status the
// action would write, then asks Stripe.
func subscriptionAction(e *core.RequestEvent, action string) error {
	enrollment, err := hooks.FindVisible(e, "enrollments", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	trialDays, plan := b.Int("trial_days"), b.Text("plan")
	if action == "change" && plan == "" {
		b.Add("plan", validation.ErrRequired)
	}
	if plan != "" && !records.IDPattern.MatchString(plan) {
		b.Add("plan", validation.NewError("validation_invalid_id", "Must be a record id."))
	}
	if err := b.Check(e); err != nil {
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
	if err := hooks.CheckRule(e.App, e, enrollment, enrollment.Collection().UpdateRule, change); err != nil {
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
	status := http.StatusOK
	if action == "create" {
		status = http.StatusCreated // the enrollment, now with its subscription
	}
	return hooks.RespondRecord(e, status, updated)
}

// -------------------------------------------------------------------
// Errors

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
	if apiErr := hooks.AsAPIError(err); apiErr != nil {
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
