package doctor

import (
	"fmt"
	"time"
)

// outbox.go: every email_outbox message is sent (with its time), queued
// (pending, not tried yet), retrying with the error that made it retry
// (pending, attempts > 0, last_error, next_attempt), or given up with the
// reason (failed, failed_reason), as workflows/outbox_send.go writes them.
// A given-up message and one that waits past its time with no sender are
// attention: nobody received that mail.

type outboxRule struct {
	code  string
	sev   Severity
	where string
	msg   string
}

var outboxRules = []outboxRule{
	{"outbox_sent_without_time", Violation, "status = 'sent' AND sent_at = ''",
		"is marked sent with no sent_at."},
	{"outbox_retry_without_reason", Violation, "status = 'pending' AND attempts > 0 AND (last_error = '' OR next_attempt = '')",
		"was tried %[2]d time(s) and waits again without the error that made it retry or the time of its next attempt."},
	{"outbox_failed_without_reason", Violation, "status = 'failed' AND failed_reason = ''",
		"was given up without a reason (failed_reason)."},
	{"outbox_failed", Attention, "status = 'failed' AND failed_reason != ''",
		"was given up: %[3]s"},
	{"outbox_overdue", Attention, "status = 'pending' AND COALESCE(NULLIF(next_attempt, ''), created) < {:hour_ago}",
		"has waited more than an hour past its time (%[2]d attempt(s)): is the mail sender running (the server, SMTP settings)?"},
}

func checkOutbox(c *checker) error {
	hourAgo := dbTime(c.now.Add(-time.Hour))
	for _, rule := range outboxRules {
		var rows []struct {
			ID       string `db:"id"`
			Attempts int    `db:"attempts"`
			Reason   string `db:"reason"`
		}
		err := c.app.DB().NewQuery("SELECT id, attempts, substr(failed_reason, 1, 300) AS reason FROM email_outbox WHERE " + rule.where).
			Bind(map[string]any{"hour_ago": hourAgo}).All(&rows)
		if err != nil {
			return err
		}
		for _, r := range rows {
			c.add(rule.code, rule.sev, fmt.Sprintf("Outbox message %[1]s "+rule.msg, r.ID, r.Attempts, r.Reason), ref("email_outbox", r.ID))
		}
	}
	var all int
	if err := c.app.DB().NewQuery("SELECT COUNT(*) FROM email_outbox").Row(&all); err != nil {
		return err
	}
	c.report.Counts["outbox_messages"] = all
	return nil
}
