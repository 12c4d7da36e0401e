package migrations_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
)

// TestEmailNocaseRefusesCaseTwins checks the e-mail collation migration
// against accounts that differ only in case: it must stop and name the
// address rather than fail on the unique index or pick one.
func TestEmailNocaseRefusesCaseTwins(t *testing.T) {
	app := testapp.Factory(t)
	var migration *core.Migration
	for _, m := range core.AppMigrations.Items() {
		if m.File == "1764500000_users_email_nocase.go" {
			migration = m
		}
	}
	if migration == nil {
		t.Fatal("migration not registered")
	}
	if err := migration.Down(app); err != nil {
		t.Fatal(err)
	}

	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"Twin@cedarheights.test", "twin@cedarheights.test"} {
		u := core.NewRecord(users)
		u.SetEmail(email)
		u.SetPassword("password123")
		u.Set("role", "parent")
		if err := app.Save(u); err != nil {
			t.Fatalf("%s: %v", email, err)
		}
	}
	err = migration.Up(app)
	if err == nil || !strings.Contains(err.Error(), "twin@cedarheights.test") {
		t.Fatalf("up with case twins: %v, want an error naming the address", err)
	}

	// Once the owner merges them, it applies.
	twin, err := app.FindFirstRecordByData("users", "email", "Twin@cedarheights.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Delete(twin); err != nil {
		t.Fatal(err)
	}
	if err := migration.Up(app); err != nil {
		t.Fatal(err)
	}
	if _, err := app.FindAuthRecordByEmail("users", "TWIN@cedarheights.test"); err != nil {
		t.Fatalf("case-insensitive lookup after the migration: %v", err)
	}
}
