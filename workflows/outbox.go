package workflows

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/mail"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/mailer"
)

// outbox.go: mail leaves through email_outbox. Code enqueues a message
// (idempotently, by key) in its own transaction; the sender loop hands
// pending rows to PocketBase's mailer (SMTP from the settings, else
// sendmail) and marks them sent, retrying failures with backoff. Delivery is
// at least once: a crash between the SMTP server's acceptance and marking
// the row sent resends that one message, with the same Message-ID header
// (derived from the key) so mail clients can tell.

// Mail is a message for the outbox.
type Mail struct {
	To             []string // addresses
	Subject        string
	HTML           string // optional; derived from Text when empty
	Text           string
	IdempotencyKey string // required: the same key never enqueues twice
}

// Validate checks the message before it is queued.
func (m Mail) Validate() error {
	return validation.ValidateStruct(&m,
		validation.Field(&m.To, validation.Required, validation.Length(1, 50), validation.Each(validation.Required, is.EmailFormat)),
		validation.Field(&m.Subject, validation.Required, validation.RuneLength(1, 500)),
		validation.Field(&m.Text, validation.Required.When(m.HTML == "").Error("text or html is required")),
		validation.Field(&m.IdempotencyKey, validation.Required, validation.Length(1, 255)),
	)
}

// mailMaxAttempts: after that many failed sends a row is marked failed.
const mailMaxAttempts = 8

// EnqueueMail queues m and returns its outbox id; a message with the same
// IdempotencyKey already queued (or sent) is not queued again and its id is
// returned. Call it with a transaction's txApp to queue atomically with
// other writes (a node's Step.Mail does).
func EnqueueMail(app core.App, m Mail) (string, error) {
	if err := m.Validate(); err != nil {
		return "", err
	}
	var id string
	err := inTx(app, func(tx core.App) error {
		err := tx.DB().Select("id").From(outboxTable).Where(dbx.HashExp{"idempotency_key": m.IdempotencyKey}).Row(&id)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		col, err := tx.FindCachedCollectionByNameOrId(outboxTable)
		if err != nil {
			return err
		}
		r := core.NewRecord(col)
		r.Set("to", strings.Join(m.To, ", "))
		r.Set("subject", m.Subject)
		r.Set("html", m.HTML)
		r.Set("text", m.Text)
		r.Set("status", "pending")
		r.Set("idempotency_key", m.IdempotencyKey)
		if err := tx.Save(r); err != nil {
			return err
		}
		id = r.Id
		if e := EngineOf(tx); e != nil {
			afterCommit(tx, e.kickMail)
		}
		return nil
	})
	return id, err
}

// MailBacklog is what waits in the outbox.
type MailBacklog struct {
	Pending       int
	OldestPending time.Time // when the oldest pending message was queued; zero if none
}

// PendingMail counts the pending messages and finds the oldest one.
func PendingMail(ctx context.Context, app core.App) (MailBacklog, error) {
	var row struct {
		N      int    `db:"n"`
		Oldest string `db:"oldest"`
	}
	err := app.DB().NewQuery("SELECT COUNT(*) AS n, COALESCE(MIN(created), '') AS oldest FROM " + outboxTable +
		" WHERE status = 'pending'").WithContext(ctx).One(&row)
	if err != nil {
		return MailBacklog{}, err
	}
	return MailBacklog{Pending: row.N, OldestPending: parseTime(row.Oldest)}, nil
}

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
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-e.mailKick:
		}
		if _, err := e.SendPendingMail(ctx); err != nil {
			e.log.Error("workflows: outbox failed", "error", err)
		}
	}
}

type outboxRow struct {
	ID       string `db:"id"`
	To       string `db:"to"`
	Subject  string `db:"subject"`
	HTML     string `db:"html"`
	Text     string `db:"text"`
	Attempts int    `db:"attempts"`
	Key      string `db:"idempotency_key"`
}

// SendPendingMail sends the due pending messages (a batch at a time) and
// returns how many were sent. The engine's sender loop calls it.
func (e *Engine) SendPendingMail(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		now := time.Now()
		var rows []outboxRow
		err := e.app.DB().NewQuery(`SELECT id, [[to]], subject, html, text, attempts, idempotency_key FROM email_outbox
			WHERE status = 'pending' AND (next_attempt = '' OR next_attempt <= {:now}) ORDER BY created LIMIT 20`).
			Bind(dbx.Params{"now": fmtTime(now)}).All(&rows)
		if err != nil {
			return sent, err
		}
		for _, row := range rows {
			if ctx.Err() != nil {
				return sent, nil
			}
			sendErr := e.app.NewMailClient().Send(e.message(row))
			update := dbx.Params{"attempts": row.Attempts + 1, "updated": fmtTime(time.Now())}
			if sendErr == nil {
				update["status"], update["sent_at"], update["last_error"] = "sent", fmtTime(time.Now()), ""
				sent++
			} else {
				update["last_error"] = truncate(sendErr.Error(), 5000)
				if row.Attempts+1 >= mailMaxAttempts {
					update["status"] = "failed"
					e.log.Error("workflows: mail failed for good", "outbox", row.ID, "error", sendErr)
				} else {
					wait := RetryPolicy{Initial: 30 * time.Second, Max: time.Hour}.backoff(row.Attempts + 1)
					update["next_attempt"] = fmtTime(time.Now().Add(max(wait, time.Second)))
				}
			}
			if _, err := e.app.NonconcurrentDB().Update(outboxTable, update, dbx.HashExp{"id": row.ID}).Execute(); err != nil {
				return sent, err
			}
		}
		if len(rows) < 20 {
			return sent, nil
		}
	}
	return sent, nil
}

func (e *Engine) message(row outboxRow) *mailer.Message {
	settings := e.app.Settings()
	var to []mail.Address
	for _, a := range strings.Split(row.To, ",") {
		if a = strings.TrimSpace(a); a != "" {
			to = append(to, mail.Address{Address: a})
		}
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
	return &mailer.Message{
		From:    mail.Address{Name: settings.Meta.SenderName, Address: settings.Meta.SenderAddress},
		To:      to,
		Subject: row.Subject,
		HTML:    body,
		Text:    row.Text,
		Headers: map[string]string{"Message-ID": fmt.Sprintf("<%s@%s>", hex.EncodeToString(sum[:16]), host)},
	}
}
