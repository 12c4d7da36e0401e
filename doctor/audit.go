package doctor

import (
	"fmt"

	"github.com/pocketbase/dbx"

	"cedarheights/audit"
)

// audit.go: the audit log records every write of the audited collections
// (audit.Collections) in the write's own transaction. What can be checked
// afterwards is that no record of those collections exists without the
// create entry that its write had to leave: one that does was written
// around the app (raw SQL, a restore that mixed files) or the log lost
// rows. Updates and deletes leave no trace to compare with once done; the
// ledger's entries are also compared with their create entries (money.go).
//
// The one record a migration writes (the academy's settings row, by the
// initial schema migration, before any audit hook can be bound) has no
// entry: records created before that migration was applied are left out.

// schemaMigration creates the collections and the settings row.
const schemaMigration = "1764100000_academy_schema.go"

func checkAudit(c *checker) error {
	var lastMigration string
	if err := c.app.DB().NewQuery(`SELECT COALESCE(strftime('%Y-%m-%d %H:%M:%fZ', MAX(applied) / 1000000.0, 'unixepoch'), '')
		FROM _migrations WHERE file = {:file}`).Bind(dbx.Params{"file": schemaMigration}).
		Row(&lastMigration); err != nil {
		return err
	}
	for _, name := range audit.Collections() {
		var ids []string
		err := c.app.DB().Select("r.id").From(name + " r").
			Where(dbx.NewExp(`r.created > {:migrated} AND NOT EXISTS (SELECT 1 FROM audit_logs a INDEXED BY idx_audit_logs_record
				WHERE a.collection = {:collection} AND a.record = r.id AND a.action = 'create')`,
				dbx.Params{"collection": name, "migrated": lastMigration})).
			OrderBy("r.created").Column(&ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			c.violation("audit_missing_create", fmt.Sprintf("Record %s of %s has no create entry in the audit log: it was written around the app.", id, name), ref(name, id))
		}
	}
	var entries int
	if err := c.app.DB().NewQuery("SELECT COUNT(*) FROM audit_logs").Row(&entries); err != nil {
		return err
	}
	c.report.Counts["audit_entries"] = entries
	return nil
}
