// Package cli adds the academy's cobra commands beside PocketBase's own
// serve, superuser and migrate.
package cli

import (
	"github.com/pocketbase/pocketbase"
)

// Register adds the academy's commands to app's root command.
func Register(app *pocketbase.PocketBase) {
	app.RootCmd.AddCommand(newDemoCommand(app))
	app.RootCmd.AddCommand(newBillingCommand(app))
	app.RootCmd.AddCommand(newWorkflowsCommand(app))
}
