package academy_test

import (
	"os"
	"testing"
	"time"

	"cedarheights/academy"
	"cedarheights/internal/testapp"
)

func TestMain(m *testing.M) { os.Exit(testapp.RunMain(m)) }

func TestLoad(t *testing.T) {
	app, _ := testapp.New(t)
	s, err := academy.Load(app)
	if err != nil {
		t.Fatal(err)
	}
	if s.Zone == nil || s.Buffer != 10*time.Minute || s.CancellationNotice != 24*time.Hour || s.Currency != "cad" || s.Name == "" {
		t.Fatalf("%+v", s)
	}

	r, err := app.FindFirstRecordByFilter("academy", "")
	if err != nil {
		t.Fatal(err)
	}
	r.Set("timezone", "America/Vancouver")
	r.Set("buffer_minutes", 5)
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	if s, err = academy.Load(app); err != nil || s.Zone.String() != "America/Vancouver" || s.Buffer != 5*time.Minute {
		t.Fatalf("%+v %v", s, err)
	}
}
