package billing

import "github.com/pocketbase/pocketbase/core"

// payments_guard.go: money moves only through the billing routes and the
// CLI, which write the payment and its ledger entry in one transaction.
// The record API (and so the admin UI) could write a payment with no ledger
// entry, so its payment writes are refused for everyone, superusers too;
// who may record or refund through the routes is still the payments rules'
// decision (hooks/billingapi/payments.go).
func bindPaymentsGuard(app core.App) {
	refuse := func(e *core.RecordRequestEvent) error {
		return e.ForbiddenError("Payments are recorded through POST /api/v1/payments/record (or `cedarheights billing record-payment`) so the family ledger stays complete.", nil)
	}
	app.OnRecordCreateRequest("payments").BindFunc(refuse)
	app.OnRecordUpdateRequest("payments").BindFunc(refuse)
	app.OnRecordDeleteRequest("payments").BindFunc(refuse)
}
