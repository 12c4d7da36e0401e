package main

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// afterwards.go reads the data dir once the server has stopped: what the
// workers did minute by minute (steps finished, mail handed to SMTP), how
// the runs started during the soak ended, and PocketBase's own log table
// (errors the server logged rather than printed, "database is locked"
// among them).

type workerMinute struct {
	Steps, Sent, Queued int
}

type runCount struct {
	Name, Status string
	N            int
}

type logCount struct {
	Message string
	N       int
}

type afterReport struct {
	Minutes     []workerMinute
	Runs        []runCount
	RunErrors   []logCount // failed runs' errors, most common first
	PendingMail int        // outbox messages still pending at the end
	LogErrors   []logCount // the server's own errors in PocketBase's log (not the request log), by message
	LogLocked   int        // log entries that mention "database is locked"
}

func readAfterwards(dir string, from time.Time, minutes int) (*afterReport, error) {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		return nil, err
	}
	defer app.ResetBootstrapState()
	r := &afterReport{Minutes: make([]workerMinute, minutes)}
	to := from.Add(time.Duration(minutes) * time.Minute)
	window := dbx.Params{"from": dbTime(from), "to": dbTime(to)}

	perMinute := func(table, column, where string, set func(*workerMinute, int)) error {
		var rows []struct {
			M int `db:"m"`
			N int `db:"n"`
		}
		q := fmt.Sprintf(`SELECT CAST((julianday(%[2]s) - julianday({:from})) * 1440 AS INTEGER) AS m, COUNT(*) AS n FROM %[1]s
			WHERE %[2]s >= {:from} AND %[2]s < {:to} %[3]s GROUP BY m`, table, column, where)
		if err := app.DB().NewQuery(q).Bind(window).All(&rows); err != nil {
			return fmt.Errorf("%s per minute: %w", table, err)
		}
		for _, row := range rows {
			if row.M >= 0 && row.M < minutes {
				set(&r.Minutes[row.M], row.N)
			}
		}
		return nil
	}
	if err := perMinute("workflow_steps", "finished", "AND status = 'completed'", func(m *workerMinute, n int) { m.Steps = n }); err != nil {
		return nil, err
	}
	if err := perMinute("email_outbox", "sent_at", "AND status = 'sent'", func(m *workerMinute, n int) { m.Sent = n }); err != nil {
		return nil, err
	}
	if err := perMinute("email_outbox", "created", "", func(m *workerMinute, n int) { m.Queued = n }); err != nil {
		return nil, err
	}
	if err := app.DB().NewQuery(`SELECT name, status, COUNT(*) AS n FROM workflow_runs WHERE created >= {:from} AND created < {:to}
		GROUP BY name, status ORDER BY name, status`).Bind(window).All(&r.Runs); err != nil {
		return nil, err
	}
	if err := app.DB().NewQuery(`SELECT substr(error, 1, 160) AS message, COUNT(*) AS n FROM workflow_runs
		WHERE created >= {:from} AND created < {:to} AND status = 'failed' GROUP BY message ORDER BY n DESC LIMIT 5`).Bind(window).All(&r.RunErrors); err != nil {
		return nil, err
	}
	if err := app.DB().NewQuery(`SELECT COUNT(*) FROM email_outbox WHERE status = 'pending'`).Row(&r.PendingMail); err != nil {
		return nil, err
	}
	if err := app.AuxDB().NewQuery(`SELECT substr(message, 1, 160) AS message, COUNT(*) AS n FROM _logs
		WHERE created >= {:from} AND level >= 8
		AND json_extract(data, '$.type') IS NOT 'request' GROUP BY message ORDER BY n DESC LIMIT 8`).Bind(window).All(&r.LogErrors); err != nil {
		return nil, err
	}
	if err := app.AuxDB().NewQuery(`SELECT COUNT(*) FROM _logs WHERE created >= {:from}
		AND (lower(message) LIKE '%database is locked%' OR lower(data) LIKE '%database is locked%')`).Bind(window).Row(&r.LogLocked); err != nil {
		return nil, err
	}
	return r, nil
}
