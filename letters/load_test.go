package letters_test

import (
	"os"
	"strings"
	"testing"

	"cedarheights/internal/testapp"
	"cedarheights/letters"
)

func TestMain(m *testing.M) { os.Exit(testapp.RunMain(m)) }

// The layout carries the name from the academy's settings record.
func TestLoadLayoutUsesTheAcademysName(t *testing.T) {
	app, _ := testapp.New(t)
	rec, err := app.FindFirstRecordByFilter("academy", "")
	if err != nil {
		t.Fatal(err)
	}
	rec.Set("name", "Maple & Oak Strings")
	if err := app.Save(rec); err != nil {
		t.Fatal(err)
	}
	lay, err := letters.LoadLayout(app)
	if err != nil {
		t.Fatal(err)
	}
	r, err := lay.Render(letters.Letter{Subject: "Hello", Paragraphs: []string{"Welcome."}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.HTML, "Maple &amp; Oak Strings") || !strings.Contains(r.Text, "-- \nMaple & Oak Strings\n") {
		t.Errorf("academy name missing:\n%s\n%s", r.HTML, r.Text)
	}
}
