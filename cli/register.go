// Package cli holds the academy's cobra commands (demo, billing, doctor,
// workflows) and its serve command (PocketBase's, with a CORS default from
// CORS_ORIGINS), beside PocketBase's own superuser and migrate.
package cli

import (
	"github.com/pocketbase/pocketbase"
)

// Register adds the academy's commands to app's root command.
func Register(app *pocketbase.PocketBase) {
	app.RootCmd.AddCommand(newDemoCommand(app))
	app.RootCmd.AddCommand(newBillingCommand(app))
	app.RootCmd.AddCommand(newWorkflowsCommand(app))
	app.RootCmd.AddCommand(newDoctorCommand(app))
}
