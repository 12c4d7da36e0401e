package freetime_test

import (
	"os"
	"testing"

	"cedarheights/internal/testapp"
)

func TestMain(m *testing.M) { os.Exit(testapp.RunMain(m)) }
