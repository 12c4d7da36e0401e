package billingapi

import (
	"errors"
	"io"
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/billing"
	"cedarheights/hooks"
)

// stripe_webhooks.go: POST /api/v1/stripe/webhooks, the endpoint to
// register in Stripe. It needs no auth but a valid Stripe-Signature: the
// event is verified, stored once in the event ledger (with the workflow
// run that will process it) and answered at once; processing happens
// after the answer. A repeated
// delivery answers 200 and does nothing. With no webhook secret configured
// every delivery is refused (503, so Stripe retries once it is set).

func StripeWebhook(e *core.RequestEvent) error {
	svc := billing.From(e.App)
	payload, err := io.ReadAll(e.Request.Body)
	if err != nil {
		return hooks.RequestError(e, err)
	}
	res, err := svc.Ingest(payload, e.Request.Header.Get("Stripe-Signature"))
	var sigErr *billing.SignatureError
	var eventErr *billing.EventError
	switch {
	case errors.Is(err, billing.ErrWebhooksDisabled):
		e.App.Logger().Error("stripe webhook refused: no webhook secret configured")
		return router.NewApiError(http.StatusServiceUnavailable, err.Error(), nil)
	case errors.As(err, &sigErr):
		return e.BadRequestError("The Stripe event could not be verified.", validation.Errors{
			"Stripe-Signature": validation.NewError("validation_stripe_signature", sigErr.Err.Error()),
		})
	case errors.As(err, &eventErr):
		return e.BadRequestError("The Stripe event cannot be stored as sent.", eventErr.Fields)
	case err != nil:
		return e.InternalServerError("", err)
	}
	if !res.Duplicate && !res.Started {
		svc.Dispatch(res.EventID)
	}
	return e.JSON(http.StatusOK, map[string]any{"received": true, "id": res.EventID, "duplicate": res.Duplicate})
}
