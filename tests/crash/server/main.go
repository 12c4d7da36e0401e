// Command server is the crash test's server: the academy wired exactly as
// main.go wires it, plus a test-only workflow (crashtest) whose tasks call
// an HTTP stand-in and write a crashtest_writes record each, so a test can
// kill the server anywhere and count effects afterwards. tests/crash and
// bench/workflows build and run it; the production binary has none of it.
//
// Environment: ACADEMY_CRASHTEST_URL is the stand-in's base URL;
// ACADEMY_CRASHTEST_DELAY_MS (default 10) is how long each task waits
// before and again after its call, so kills land mid-run, also between an
// effect and its checkpoint.
package main

import (
	"log"
	_ "time/tzdata"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/cmd"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"

	"cedarheights/cli"
	_ "cedarheights/pb_migrations"
	"cedarheights/wiring"
)

func main() {
	app := pocketbase.New()
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{Dir: "pb_migrations"})

	// Before the wiring's hooks: the collection must exist before the
	// engine, which starts on serve, resumes any run.
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if err := ensureWritesCollection(se.App); err != nil {
			return err
		}
		return se.Next()
	})
	if err := wiring.Register(app, wiring.WithWorkflows(CrashTest)); err != nil {
		log.Fatal(err)
	}
	cli.Register(app)

	app.RootCmd.AddCommand(cmd.NewSuperuserCommand(app))
	app.RootCmd.AddCommand(cli.NewServeCommand(app, false))
	if err := app.Execute(); err != nil {
		log.Fatal(err)
	}
}
