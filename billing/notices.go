package billing

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
	"cedarheights/workflows"
)

// Notices are what billing tells people: receipts, dunning notices, the
// admin's past-due alert, refund confirmations. Each is recorded once (a
// unique source key per fact, e.g. "receipt:<payment>") in the same
// transaction as the fact itself, so a replayed event never mails twice,
// and queued in the email outbox in that same transaction (the workflow
// engine's sender delivers it).

const noticesCollection = "billing_notices"

// Notice kinds.
const (
	NoticeReceipt        = "receipt"
	NoticePaymentFailed  = "payment_failed"
	NoticeActionRequired = "action_required"
	NoticePastDue        = "past_due"
	NoticeRefund         = "refund"
)

type notice struct {
	Family    string
	Recipient *core.Record // the users record the notice goes to
	Audience  string       // family | admin
	Kind      string
	Subject   string
	Body      string
	Link      string
	Payment   string
	SourceKey string
}

// recordNotice records n unless its source key already is; it reports
// whether it did.
func recordNotice(txApp core.App, n notice) (bool, error) {
	existing, err := txApp.FindFirstRecordByData(noticesCollection, "source_key", n.SourceKey)
	if err == nil && existing != nil {
		return false, nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	c, err := txApp.FindCachedCollectionByNameOrId(noticesCollection)
	if err != nil {
		return false, err
	}
	r := core.NewRecord(c)
	r.Set("family", n.Family)
	if n.Recipient != nil {
		r.Set("recipient", n.Recipient.Id)
		r.Set("email", n.Recipient.Email())
	}
	r.Set("audience", n.Audience)
	r.Set("kind", n.Kind)
	r.Set("subject", truncate(n.Subject, 300))
	r.Set("body", truncate(n.Body, 10000))
	r.Set("link", n.Link)
	r.Set("payment", n.Payment)
	r.Set("source_key", n.SourceKey)
	r.Set("status", "recorded")
	if err := txApp.Save(r); err != nil {
		return false, fmt.Errorf("record notice %s: %w", n.SourceKey, err)
	}
	return true, enqueueNotice(txApp, r)
}

// enqueueNotice queues a recorded notice in the email outbox (keyed by the
// notice, so it is queued once). A notice with no usable address stays
// "recorded": readable by the family (its own) and the admins in the app,
// and logged, but never a reason to fail the payment it is about.
func enqueueNotice(txApp core.App, r *core.Record) error {
	if _, err := txApp.FindCachedCollectionByNameOrId("email_outbox"); err != nil {
		return nil
	}
	text := r.GetString("body")
	if link := r.GetString("link"); link != "" && !strings.Contains(text, link) {
		text += "\n\n" + link
	}
	key := "billing:" + r.GetString("source_key")
	if len(key) > 255 {
		sum := sha256.Sum256([]byte(key))
		key = "billing:" + hex.EncodeToString(sum[:])
	}
	m := workflows.Mail{To: []string{r.GetString("email")}, Subject: r.GetString("subject"), Text: text, IdempotencyKey: key}
	if err := m.Validate(); err != nil {
		txApp.Logger().Warn("billing: notice not mailed", "notice", r.Id, "email", r.GetString("email"), "error", err)
		return nil
	}
	id, err := workflows.EnqueueMail(txApp, m)
	if err != nil {
		return err
	}
	r.Set("status", "enqueued")
	r.Set("outbox_id", id)
	return txApp.Save(r)
}

// tellFamily records a notice to the family's parent.
func tellFamily(txApp core.App, family, kind, key, subject, body, link, payment string) error {
	user, err := txApp.FindRecordById("users", family)
	if err != nil {
		return fmt.Errorf("notice %s: family %s: %w", key, family, err)
	}
	_, err = recordNotice(txApp, notice{
		Family: family, Recipient: user, Audience: "family", Kind: kind,
		Subject: subject, Body: greeting(user) + body + signature(txApp), Link: link, Payment: payment, SourceKey: key,
	})
	return err
}

// tellAdmins records one notice per admin account.
func tellAdmins(txApp core.App, family, kind, key, subject, body, link string) error {
	admins, err := txApp.FindAllRecords("users", dbx.HashExp{"role": "admin"})
	if err != nil {
		return err
	}
	for _, a := range admins {
		if _, err := recordNotice(txApp, notice{
			Family: family, Recipient: a, Audience: "admin", Kind: kind,
			Subject: subject, Body: body, Link: link, SourceKey: key + ":" + a.Id,
		}); err != nil {
			return err
		}
	}
	return nil
}

func greeting(user *core.Record) string {
	name := strings.TrimSpace(user.GetString("name"))
	if name == "" {
		return "Hello,\n\n"
	}
	return "Hello " + name + ",\n\n"
}

func signature(app core.App) string {
	name := "the academy"
	if s, err := academy.Load(app); err == nil && s.Name != "" {
		name = s.Name
	}
	return "\n\nThank you,\n" + name
}

// billingPageLink is where a parent fixes its payment method: the app's
// billing page, which opens the Stripe billing portal
// (POST /api/v1/billing/portal).
func billingPageLink(app core.App) string {
	base := strings.TrimRight(app.Settings().Meta.AppURL, "/")
	return base + "/account/billing"
}
