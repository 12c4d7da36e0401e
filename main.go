// Command cedarheights serves the Cedar Heights Music Academy: PocketBase
// (auth, collections, admin UI, SQLite) plus the academy's capabilities,
// wired by wiring.Register, and its CLI commands.
package main

import (
	"log"
	_ "time/tzdata" // the academy's IANA zone must resolve in minimal images too

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/cmd"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/pocketbase/pocketbase/tools/osutils"

	"cedarheights/cli"
	_ "cedarheights/pb_migrations"
	"cedarheights/wiring"
)

func main() {
	app := pocketbase.New()

	// Automigrate writes migration files from admin-UI schema edits; only
	// wanted while developing (go run), never in the built binary.
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{
		Dir:         "pb_migrations",
		Automigrate: osutils.IsProbablyGoRun(),
	})

	if err := wiring.Register(app, wiring.WithFreeTimeWarmUp()); err != nil {
		log.Fatal(err)
	}
	cli.Register(app)

	// What app.Start() does, with our serve command: its CORS origins come
	// from CORS_ORIGINS instead of PocketBase's "*".
	app.RootCmd.AddCommand(cmd.NewSuperuserCommand(app))
	app.RootCmd.AddCommand(cli.NewServeCommand(app, true))
	if err := app.Execute(); err != nil {
		log.Fatal(err)
	}
}
