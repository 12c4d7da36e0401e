package billing

import "github.com/pocketbase/pocketbase/core"

// Register binds billing's hooks to app: the ledger's immutability, the
// refund holds' and payments' protection from the record API and the
// customer email sync. On serve it dispatches the events stored but never processed (the
// process stopped between answering and processing). The wiring calls it,
// so the server, the CLI and the tests get it alike.
func Register(app core.App) {
	bindLedger(app)
	bindRefundHolds(app)
	bindPaymentsGuard(app)
	bindCustomerSync(app)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if err := From(se.App).requeueReceived(); err != nil {
			se.App.Logger().Error("billing: cannot re-queue stored events", "error", err)
		}
		return se.Next()
	})
}
