package workflows

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tools/mailer"
)

// outbox_send.go: the sender loop. Rows are sent one at a time, oldest
// first; the result of each attempt is written before the next starts.

func (e *Engine) kickMail() {
	select {
	case e.mailKick <- struct{}{}:
	default:
	}
}

func (e *Engine) mailLoop(ctx context.Context) {
	ticker := time.NewTicker(e.opts.MailInterval)
	defer ticker.Stop()
	for {
		// Mail queued before a restart leaves at once, not a tick later.
		if _, err := e.SendPendingMail(ctx); err != nil {
			e.log.Error("workflows: outbox failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-e.mailKick:
		}
	}
}

type outboxRow struct {
	ID          string `db:"id"`
	To          string `db:"to"`
	Subject     string `db:"subject"`
	HTML        string `db:"html"`
	Text        string `db:"text"`
	Attachments string `db:"attachments"`
	Attempts    int    `db:"attempts"`
	Key         string `db:"idempotency_key"`
	Created     string `db:"created"`
}

// SendPendingMail sends the due pending messages (a batch at a time) and
// returns how many were sent. The engine's sender loop calls it. When the
// SMTP server cannot be reached the pass stops after that attempt: the
// other due rows stay due for the next pass.
func (e *Engine) SendPendingMail(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		var rows []outboxRow
		err := e.app.DB().NewQuery(`SELECT id, [[to]], subject, html, text, COALESCE(attachments, '') AS attachments,
			attempts, idempotency_key, created FROM email_outbox
			WHERE status = 'pending' AND (next_attempt = '' OR next_attempt <= {:now}) ORDER BY created LIMIT 20`).
			Bind(dbx.Params{"now": fmtTime(time.Now())}).All(&rows)
		if err != nil {
			return sent, err
		}
		for _, row := range rows {
			if ctx.Err() != nil {
				return sent, nil
			}
			sendErr := e.sendRow(row)
			if err := e.recordAttempt(row, sendErr); err != nil {
				return sent, err
			}
			if sendErr == nil {
				sent++
			} else if serverUnreachable(sendErr) {
				return sent, nil
			}
		}
		if len(rows) < 20 {
			return sent, nil
		}
	}
	return sent, nil
}

func (e *Engine) sendRow(row outboxRow) error {
	msg, err := e.message(row)
	if err != nil {
		return unsendable{err}
	}
	return e.app.NewMailClient().Send(msg)
}

// recordAttempt writes the outcome of one attempt on row.
func (e *Engine) recordAttempt(row outboxRow, sendErr error) error {
	now := time.Now()
	update := dbx.Params{"attempts": row.Attempts + 1, "updated": fmtTime(now)}
	if sendErr == nil {
		update["status"], update["sent_at"], update["last_error"] = "sent", fmtTime(now), ""
	} else {
		update["last_error"] = truncate(sendErr.Error(), 5000)
		reason, permanent := permanentMailError(sendErr)
		if created := parseTime(row.Created); !permanent && !created.IsZero() && now.Sub(created) >= MailGiveUpAfter {
			reason, permanent = fmt.Sprintf("not delivered within %.0f hours of being queued (%d attempts); last error: %s",
				MailGiveUpAfter.Hours(), row.Attempts+1, sendErr), true
		}
		if permanent {
			update["status"], update["failed_reason"] = "failed", truncate(reason, 5000)
			e.log.Error("workflows: mail failed for good", "outbox", row.ID, "reason", reason)
		} else {
			update["next_attempt"] = fmtTime(now.Add(mailBackoff(row.Attempts + 1)))
		}
	}
	_, err := e.app.NonconcurrentDB().Update(outboxTable, update, dbx.HashExp{"id": row.ID}).Execute()
	return err
}

// message builds the mailer's message for row; an error means the row can
// never be sent as it is.
func (e *Engine) message(row outboxRow) (*mailer.Message, error) {
	settings := e.app.Settings()
	var to []mail.Address
	for _, a := range strings.Split(row.To, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return nil, fmt.Errorf("recipient %q: %w", a, err)
		}
		to = append(to, *addr)
	}
	if len(to) == 0 {
		return nil, fmt.Errorf("no recipient")
	}
	attachments, err := decodeAttachments(row.Attachments)
	if err != nil {
		return nil, err
	}
	body := row.HTML
	if body == "" {
		body = "<p>" + strings.ReplaceAll(html.EscapeString(row.Text), "\n", "<br>") + "</p>"
	}
	sum := sha256.Sum256([]byte(row.Key))
	host := "cedarheights.local"
	if at := strings.LastIndex(settings.Meta.SenderAddress, "@"); at >= 0 {
		host = settings.Meta.SenderAddress[at+1:]
	}
	msg := &mailer.Message{
		From:    mail.Address{Name: settings.Meta.SenderName, Address: settings.Meta.SenderAddress},
		To:      to,
		Subject: row.Subject,
		HTML:    body,
		Text:    row.Text,
		Headers: map[string]string{"Message-ID": fmt.Sprintf("<%s@%s>", hex.EncodeToString(sum[:16]), host)},
	}
	if len(attachments) > 0 {
		msg.Attachments = make(map[string]io.Reader, len(attachments))
		for _, a := range attachments {
			msg.Attachments[a.Name] = bytes.NewReader(a.Content)
		}
	}
	return msg, nil
}
