package records

import "github.com/pocketbase/pocketbase/core"

// inTransaction runs fn with e.App switched to a transaction (the current
// one when e.App already is one), so that fn's reads see, and its writes
// commit or roll back with, the record's own write.
func inTransaction(e *core.RecordEvent, fn func() error) error {
	original := e.App
	err := original.RunInTransaction(func(txApp core.App) error {
		e.App = txApp
		return fn()
	})
	e.App = original
	return err
}
