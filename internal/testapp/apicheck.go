package testapp

import (
	"fmt"
	"os"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/apispec"
)

// checkAgainstDescription binds apispec's checker on app's router: every
// request a test makes to /api/v1 or /auth, and its answer, is validated
// against the OpenAPI description, and what does not match (an undescribed
// route, an answer off the description) fails the test when it ends.
// answersOnly leaves out requests the description rejects but the server
// accepts.
func checkAgainstDescription(t testing.TB, app core.App, answersOnly bool) {
	t.Helper()
	checker, err := apispec.NewChecker()
	if err != nil {
		t.Fatal(err)
	}
	checker.AnswersOnly = answersOnly
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.Bind(checker.Middleware())
		return se.Next()
	})
	t.Cleanup(func() {
		for _, v := range checker.Violations() {
			t.Errorf("OpenAPI description: %s", v)
		}
	})
}

// reportChecked says, in verbose runs, how many exchanges were validated.
func reportChecked() {
	if testing.Verbose() || os.Getenv("APISPEC_REPORT") != "" {
		fmt.Fprintf(os.Stderr, "apispec: %d requests and answers validated against the OpenAPI description\n", apispec.Checked.Load())
	}
}
