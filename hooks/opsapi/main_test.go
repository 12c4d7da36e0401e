package opsapi_test

import (
	"os"
	"testing"

	"cedarheights/internal/testapp"
)

// TestMain removes the fixture template the package's tests cloned from.
func TestMain(m *testing.M) { os.Exit(testapp.RunMain(m)) }

// apiAs is the header that signs a request in as a.
func apiAs(a testapp.Account) map[string]string {
	return map[string]string{"Authorization": a.Token}
}
