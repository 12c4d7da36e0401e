package apispec

import (
	"fmt"
	"os"

	"github.com/pocketbase/pocketbase/core"
)

// EnvValidate turns the checker on in a built server, for test suites that
// drive the binary (tests/js): each violation is written to stderr as it
// happens, prefixed "apispec violation:", and a count when the server stops.
const EnvValidate = "ACADEMY_OPENAPI_VALIDATE"

// BindFromEnv binds the checker on app's router when EnvValidate is "1".
func BindFromEnv(app core.App) error {
	if os.Getenv(EnvValidate) != "1" {
		return nil
	}
	checker, err := NewChecker()
	if err != nil {
		return err
	}
	checker.onViolation = func(v string) { fmt.Fprintf(os.Stderr, "apispec violation: %s\n", v) }
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.Bind(checker.Middleware())
		return se.Next()
	})
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		fmt.Fprintf(os.Stderr, "apispec: %d requests and answers validated, %d violations\n",
			checker.Checked(), len(checker.Violations()))
		return e.Next()
	})
	return nil
}
