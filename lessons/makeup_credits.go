package lessons

import (
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/academy"
	"cedarheights/scheduling"
)

// makeup_credits.go applies scheduling.MakeupPolicy when a lesson is
// cancelled, spends a credit when a make-up lesson is booked, and (through
// lifecycle.go) takes it back when the lesson is reinstated. The
// decision's reason is stored on the lesson (cancellation_note) and on the
// credit, so the API, the admin UI and billing all show the same words.

func becameCancelled(lesson *core.Record) bool {
	if lesson.GetString("status") != "cancelled" {
		return false
	}
	return lesson.IsNew() || lesson.Original().GetString("status") != "cancelled"
}

// recordCancellation stamps who cancelled, when, and the policy's answer,
// which it returns for grantMakeupCredit.
func recordCancellation(settings academy.Settings, lesson *core.Record) *scheduling.MakeupDecision {
	now := time.Now().UTC()
	if lesson.GetDateTime("cancelled_at").IsZero() {
		lesson.Set("cancelled_at", now)
	}
	if lesson.GetString("cancelled_by") == "" {
		lesson.Set("cancelled_by", string(scheduling.CancelledByAcademy))
	}
	d := makeupDecision(settings, lesson)
	note := "no make-up credit: " + d.Reason
	if d.Credit {
		note = "make-up credit: " + d.Reason
	}
	lesson.Set("cancellation_note", note)
	return &d
}

func makeupDecision(settings academy.Settings, lesson *core.Record) scheduling.MakeupDecision {
	policy := scheduling.MakeupPolicy{Notice: settings.CancellationNotice, Validity: academy.MakeupValidity}
	return policy.Decide(
		lesson.GetDateTime("start").Time(),
		lesson.GetDateTime("cancelled_at").Time(),
		scheduling.CancelledBy(lesson.GetString("cancelled_by")),
	)
}

// grantMakeupCredit writes the credit the policy granted (once per lesson:
// a lesson cancelled again after a reinstatement gets its taken-back credit
// back, with the new decision's reason and expiry).
func grantMakeupCredit(app core.App, d scheduling.MakeupDecision, lesson *core.Record) error {
	if !d.Credit {
		return nil
	}
	credit, err := app.FindFirstRecordByData("makeup_credits", "source_lesson", lesson.Id)
	switch {
	case err == nil && credit.GetDateTime("revoked_at").IsZero():
		return nil
	case err == nil:
		credit.Set("revoked_at", "")
		credit.Set("revoked_reason", "")
	case ignoreMissing(err) != nil:
		return err
	default:
		credits, err := app.FindCachedCollectionByNameOrId("makeup_credits")
		if err != nil {
			return err
		}
		credit = core.NewRecord(credits)
		credit.Set("student", lesson.GetString("student"))
		credit.Set("source_lesson", lesson.Id)
	}
	credit.Set("reason", d.Reason)
	credit.Set("expires", d.ExpiresAt)
	return app.Save(credit)
}

// errNoMakeupCredit refuses a make-up lesson for a student with no credit.
var errNoMakeupCredit = router.NewApiError(http.StatusConflict, "The student has no unused make-up credit.",
	validation.Errors{"kind": validation.NewError("no_makeup_credit", "Book a regular lesson, or cancel one with notice first.")})

// makeupCreditFor finds the credit a new make-up lesson spends (the one
// expiring first); the caller marks it used once the lesson has an id.
func makeupCreditFor(app core.App, lesson *core.Record) (*core.Record, error) {
	if !lesson.IsNew() || lesson.GetString("kind") != "makeup" || lesson.GetString("status") == "cancelled" {
		return nil, nil
	}
	credits, err := app.FindRecordsByFilter("makeup_credits",
		"student = {:student} && used_by = '' && revoked_at = '' && expires > {:now}", "expires", 1, 0,
		dbx.Params{"student": lesson.GetString("student"), "now": dbTime(time.Now())})
	if err != nil {
		return nil, err
	}
	if len(credits) == 0 {
		return nil, errNoMakeupCredit
	}
	return credits[0], nil
}
