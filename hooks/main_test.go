package hooks_test

import (
	"os"
	"testing"

	"cedarheights/internal/testapp"
)

// TestMain removes the fixture template the package's tests cloned from.
func TestMain(m *testing.M) { os.Exit(testapp.RunMain(m)) }
