package migrations

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/dbutils"
)

// E-mail addresses are matched without regard to case: a parent who signs
// up as jane@example.com and logs in from a phone that capitalises the
// first letter is the same family. PocketBase looks up auth records case-
// insensitively when the e-mail's unique index collates NOCASE, which also
// stops Jane@… and jane@… from becoming two accounts.
func init() {
	m.Register(func(app core.App) error {
		return setEmailCollation(app, "NOCASE")
	}, func(app core.App) error {
		return setEmailCollation(app, "")
	})
}

func setEmailCollation(app core.App, collate string) error {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	for i, raw := range users.Indexes {
		index := dbutils.ParseIndex(raw)
		if !index.Unique || len(index.Columns) != 1 || !strings.EqualFold(index.Columns[0].Name, core.FieldNameEmail) {
			continue
		}
		if collate != "" {
			if err := refuseCaseDuplicates(app); err != nil {
				return err
			}
		}
		index.Columns[0].Collate = collate
		users.Indexes[i] = index.Build()
		return app.Save(users)
	}
	return fmt.Errorf("users has no unique e-mail index")
}

// refuseCaseDuplicates fails the migration, naming the addresses, when two
// accounts differ only in case: the owner decides which one stays.
func refuseCaseDuplicates(app core.App) error {
	var dups []string
	err := app.DB().NewQuery("SELECT LOWER([[email]]) FROM {{users}} WHERE [[email]] != '' GROUP BY LOWER([[email]]) HAVING COUNT(*) > 1").Column(&dups)
	if err != nil {
		return err
	}
	if len(dups) > 0 {
		return fmt.Errorf("users: accounts differ only in the case of their e-mail (%s); merge them before this migration", strings.Join(dups, ", "))
	}
	return nil
}
