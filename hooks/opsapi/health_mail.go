package opsapi

import (
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/workflows"
)

// mailStuckAfter: the outbox sender looks every few seconds and retries a
// failed send from 30 s on, so a message still pending after this long is
// not leaving.
const mailStuckAfter = 15 * time.Minute

// mailHealth is the mail part of the health report (admins only).
type mailHealth struct {
	Transport            string `json:"transport"`
	Pending              int    `json:"pending"`
	OldestPendingSeconds int64  `json:"oldest_pending_seconds"`
}

// findSendmail returns the binary PocketBase's mailer falls back to without
// SMTP settings, or "" (the same places PocketBase looks). A variable so
// tests do not depend on the machine.
var findSendmail = func() string {
	for _, name := range []string{"/usr/sbin/sendmail", "/usr/bin/sendmail", "sendmail"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

// checkMail says which way mail leaves and what waits in the outbox.
// problem is set (degraded, not failed: the server itself works) when
// nothing can carry mail, or when the oldest pending message is older than
// mailStuckAfter (SMTP down or refusing us).
func checkMail(ctx context.Context, app core.App, now time.Time) (m mailHealth, problem string, err error) {
	smtp := app.Settings().SMTP
	usable := true
	switch path := findSendmail(); {
	case smtp.Enabled && smtp.Host != "":
		m.Transport = "smtp"
	case smtp.Enabled:
		m.Transport, usable = "smtp enabled without a host", false
	case path != "":
		m.Transport = "sendmail (" + path + ")"
	default:
		m.Transport, usable = "none: no SMTP settings and no sendmail binary", false
	}

	backlog, err := workflows.PendingMail(ctx, app)
	if err != nil {
		return m, "", fmt.Errorf("cannot read the mail outbox")
	}
	m.Pending = backlog.Pending
	var age time.Duration
	if !backlog.OldestPending.IsZero() {
		age = max(now.Sub(backlog.OldestPending), 0).Round(time.Second)
		m.OldestPendingSeconds = int64(age / time.Second)
	}

	waiting := fmt.Sprintf("%d pending", m.Pending)
	if m.Pending > 0 {
		waiting += ", the oldest for " + age.String()
	}
	switch {
	case !usable:
		problem = m.Transport + "; " + waiting
	case age > mailStuckAfter:
		problem = "mail is not leaving through " + m.Transport + "; " + waiting
	}
	return m, problem, nil
}
