package lessons

import (
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// closures.go: a closure added (or widened) after lessons were booked
// cancels every lesson it covers that has not been held, on behalf of the
// academy (so the make-up policy grants credits), in the closure's own
// transaction and as whoever wrote the closure, and lists them on the
// closure record (cancelled_lessons) for the admin. Held means marked
// completed or no_show once it started; a lesson marked so ahead of its
// start (possible before the lifecycle was enforced) was not held.

func bindClosures(app core.App) {
	app.OnRecordCreate("closures").BindFunc(cancelCoveredLessons)
	app.OnRecordUpdate("closures").BindFunc(cancelCoveredLessons)
}

// cancelledLesson is one entry of a closure's report.
type cancelledLesson struct {
	ID      string `json:"id"`
	Start   string `json:"start"`
	Teacher string `json:"teacher"`
	Student string `json:"student"`
}

func cancelCoveredLessons(e *core.RecordEvent) error {
	return inTransaction(e, func() error {
		tx := e.App
		span := recordSpan(e.Record)
		if !span.Valid() {
			return e.Next() // validation reports the bad range
		}
		covered, err := tx.FindAllRecords("lessons",
			dbx.Or(
				dbx.HashExp{"status": "scheduled"},
				dbx.And(dbx.In("status", "completed", "no_show"), dbx.NewExp("[[start]] > {:now}", dbx.Params{"now": dbTime(time.Now())})),
			),
			dbx.NewExp("[[start]] < {:to} AND [[end]] > {:from}", dbx.Params{"from": dbTime(span.Start), "to": dbTime(span.End)}))
		if err != nil {
			return err
		}
		var report []cancelledLesson
		_ = e.Record.UnmarshalJSONField("cancelled_lessons", &report)
		for _, l := range covered {
			report = append(report, cancelledLesson{ID: l.Id, Start: dbTime(l.GetDateTime("start").Time()), Teacher: l.GetString("teacher"), Student: l.GetString("student")})
		}
		if report == nil {
			report = []cancelledLesson{}
		}
		e.Record.Set("cancelled_lessons", report)
		if err := e.Next(); err != nil {
			return err
		}
		for _, l := range covered {
			l.Set("status", "cancelled")
			l.Set("cancelled_by", "academy")
			if err := tx.Save(l); err != nil {
				return err
			}
		}
		return nil
	})
}
