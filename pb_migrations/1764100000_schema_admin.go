package migrations

import (
	"os"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// auditLogsCollection is append-only: no API rule lets anyone write it and
// hooks/audit.go refuses updates and deletes at the model level, which also
// covers superusers.
func auditLogsCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("audit_logs", idAuditLogs)
	c.Fields.Add(
		&core.TextField{Name: "actor", Max: 100, Help: "users:<id>, _superusers:<id> or system"},
		&core.SelectField{Name: "action", Values: []string{"create", "update", "delete"}, MaxSelect: 1, Required: true},
		&core.TextField{Name: "collection", Required: true, Max: 100},
		&core.TextField{Name: "record", Required: true, Max: 100},
		&core.JSONField{Name: "changes", MaxSize: 1 << 20},
		&core.TextField{Name: "request_id", Max: 100},
		&core.TextField{Name: "ip", Max: 100},
		created(),
	)
	c.AddIndex("idx_audit_logs_record", false, "`collection`, `record`", "")
	c.AddIndex("idx_audit_logs_actor", false, "`actor`", "")
	c.AddIndex("idx_audit_logs_created", false, "`created`", "")
	return c, nil // all rules nil: superusers only, read in the admin UI
}

// academyCollection holds the one settings record of the academy.
func academyCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("academy", idAcademy)
	c.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 200, Presentable: true},
		&core.TextField{Name: "timezone", Required: true, Max: 64, Help: "IANA time zone"},
		&core.TextField{Name: "currency", Required: true, Pattern: currencyPattern},
		&core.NumberField{Name: "buffer_minutes", OnlyInt: true, Min: minZero(), Max: ptr(120.0)},
		&core.NumberField{Name: "cancellation_notice_hours", OnlyInt: true, Min: minZero(), Max: ptr(720.0)},
		created(), updated(),
	)
	c.ListRule = rule("")
	c.ViewRule = rule("")
	c.UpdateRule = rule(isAdmin)
	if err := app.Save(c); err != nil {
		return nil, err
	}

	tz := os.Getenv("ACADEMY_TZ")
	if _, err := time.LoadLocation(tz); tz == "" || err != nil {
		tz = "UTC"
	}
	settings := core.NewRecord(c)
	settings.Set("name", "Cedar Heights Music Academy")
	settings.Set("timezone", tz)
	settings.Set("currency", "cad")
	settings.Set("buffer_minutes", 10)
	settings.Set("cancellation_notice_hours", 24)
	if err := app.Save(settings); err != nil {
		return nil, err
	}
	return c, nil
}
