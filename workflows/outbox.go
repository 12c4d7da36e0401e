package workflows

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"
)

// outbox.go: mail leaves through email_outbox. Code enqueues a message
// (idempotently, by key) in its own transaction; the sender loop
// (outbox_send.go) hands pending rows to PocketBase's mailer and marks them
// sent, retrying under the policy in outbox_policy.go. Delivery is at least
// once: a crash between the SMTP server's acceptance and marking the row
// sent resends that one message, with the same Message-ID header (derived
// from the key) so mail clients can tell.

// Mail is a message for the outbox.
type Mail struct {
	To             []string // addresses
	Subject        string
	HTML           string // optional; derived from Text when empty
	Text           string
	Attachments    []Attachment
	IdempotencyKey string // required: the same key never enqueues twice
}

// Attachment is a file sent with a message, e.g. a lesson's .ics invite.
// PocketBase's mailer names the part's content type from the content
// itself (an iCalendar body is text/calendar).
type Attachment struct {
	Name    string // file name shown to the recipient, e.g. "lesson.ics"
	Content []byte
}

// Attachment limits: an invite is a few KiB; the outbox row holds them.
const (
	maxAttachments     = 10
	maxAttachmentBytes = 1 << 20 // all attachments of one message together
)

// Validate checks the message before it is queued.
func (m Mail) Validate() error {
	return validation.ValidateStruct(&m,
		validation.Field(&m.To, validation.Required, validation.Length(1, 50), validation.Each(validation.Required, is.EmailFormat)),
		validation.Field(&m.Subject, validation.Required, validation.RuneLength(1, 500)),
		validation.Field(&m.Text, validation.Required.When(m.HTML == "").Error("text or html is required")),
		validation.Field(&m.Attachments, validation.Length(0, maxAttachments), validation.By(validAttachments)),
		validation.Field(&m.IdempotencyKey, validation.Required, validation.Length(1, 255)),
	)
}

func validAttachments(v any) error {
	list, _ := v.([]Attachment)
	seen := map[string]bool{}
	total := 0
	for _, a := range list {
		switch {
		case strings.TrimSpace(a.Name) == "" || len(a.Name) > 200:
			return errors.New("every attachment needs a name of at most 200 bytes")
		case strings.ContainsAny(a.Name, "/\\\"\r\n\x00"):
			return errors.New("attachment names may not hold slashes, quotes or line breaks")
		case seen[a.Name]:
			return errors.New("attachment names must differ") // the mailer keys them by name
		case len(a.Content) == 0:
			return errors.New("attachment " + a.Name + " is empty")
		}
		seen[a.Name] = true
		total += len(a.Content)
	}
	if total > maxAttachmentBytes {
		return errors.New("attachments exceed 1 MiB")
	}
	return nil
}

// storedAttachment is an attachment as the outbox row keeps it (JSON).
type storedAttachment struct {
	Name    string `json:"name"`
	Content string `json:"content_base64"`
}

func encodeAttachments(list []Attachment) (string, error) {
	out := make([]storedAttachment, 0, len(list))
	for _, a := range list {
		out = append(out, storedAttachment{Name: a.Name, Content: base64.StdEncoding.EncodeToString(a.Content)})
	}
	raw, err := json.Marshal(out)
	return string(raw), err
}

func decodeAttachments(raw string) ([]Attachment, error) {
	if raw = strings.TrimSpace(raw); raw == "" || raw == "null" {
		return nil, nil
	}
	var stored []storedAttachment
	if err := json.Unmarshal([]byte(raw), &stored); err != nil {
		return nil, err
	}
	out := make([]Attachment, 0, len(stored))
	for _, s := range stored {
		content, err := base64.StdEncoding.DecodeString(s.Content)
		if err != nil {
			return nil, errors.New("attachment " + s.Name + ": " + err.Error())
		}
		out = append(out, Attachment{Name: s.Name, Content: content})
	}
	return out, nil
}

// EnqueueMail queues m and returns its outbox id; a message with the same
// IdempotencyKey already queued (or sent) is not queued again and its id is
// returned. Call it with a transaction's txApp to queue atomically with
// other writes (a node's Step.Mail does). Keys name the event and the
// recipient ("trial-confirmation:<lesson>:family"), so each person gets
// each message once.
func EnqueueMail(app core.App, m Mail) (string, error) {
	if err := m.Validate(); err != nil {
		return "", err
	}
	attachments, err := encodeAttachments(m.Attachments)
	if err != nil {
		return "", err
	}
	var id string
	err = inTx(app, func(tx core.App) error {
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
		r.Set("attachments", attachments)
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
