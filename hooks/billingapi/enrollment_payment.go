package billingapi

import (
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/billing"
	"cedarheights/hooks"
)

// enrollment_payment.go: GET /api/v1/enrollments/{id}/payment, what a
// pending enrollment's payment needs from the family's browser. While the
// enrollment run holds the trial slot waiting for the payment
// (payment_wait), a card that needs 3-D Secure is finished with Stripe.js:
// confirmCardSetup(client_secret) for kind setup_intent (a trial's pending
// SetupIntent), confirmCardPayment(client_secret) for kind payment_intent
// (an incomplete subscription's first invoice). Stripe's webhook then ends
// the wait; the family may poll this route until status is none or
// succeeded.
//
// Whoever may view the enrollment (its family, admins) may ask: others get
// the same 404 as a missing id. The answer is read from Stripe at each
// request (billing/enrollment_payment.go says why the secret is never
// stored). An ended enrollment is a 409; offline billing a 503.

// paymentAnswer is the route's answer.
type paymentAnswer struct {
	Enrollment string `json:"enrollment"`
	billing.PaymentNeed
}

func EnrollmentPayment(e *core.RequestEvent) error {
	enr, err := hooks.FindVisible(e, "enrollments", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	switch status := enr.GetString("status"); status {
	case "cancelled", "failed", "withdrawn":
		msg := "The enrollment is " + status + ": there is no payment to finish."
		return router.NewApiError(http.StatusConflict, msg, validation.Errors{
			"status": validation.NewError("validation_enrollment_ended", msg)})
	}
	svc := billing.From(e.App)
	if !svc.Online() {
		return billingError(e, billing.ErrOffline)
	}
	ctx, cancel := billingContext(e)
	defer cancel()
	need, err := svc.EnrollmentPayment(ctx, enr)
	if err != nil {
		return billingError(e, err)
	}
	return e.JSON(http.StatusOK, paymentAnswer{Enrollment: enr.Id, PaymentNeed: need})
}
