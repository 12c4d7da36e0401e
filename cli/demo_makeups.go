package cli

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
)

// demo_makeups.go: a few upcoming lessons cancelled through the lesson
// model, so the make-up policy decides and grants the credits itself (the
// reason on the lesson and on the credit), and one family books a make-up
// with its credit into a slot another cancellation freed.
//
// Which lessons depends on today, so the phase keys on its own mark: once
// any lesson was cancelled by a family, it is done.

func (l *demoLoader) makeups() error {
	started := time.Now()
	var done int
	if err := l.app.DB().Select("COUNT(*)").From("lessons").Where(dbx.HashExp{"cancelled_by": "family"}).Row(&done); err != nil {
		return fmt.Errorf("read lessons: %w", err)
	}
	if done > 0 {
		fmt.Fprintf(l.out, "  %-13s %7d created %7s existing  (families have cancelled lessons already)\n", "make-ups", 0, "-")
		return nil
	}
	settings, err := academy.Load(l.app)
	if err != nil {
		return err
	}
	// Upcoming weekly lessons, a day beyond the notice the policy asks for.
	upcoming, err := l.app.FindRecordsByFilter("lessons",
		"kind = 'regular' && status = 'scheduled' && start > {:from}", "start,id", 400, 0,
		dbx.Params{"from": dbDateTime(time.Now().Add(settings.CancellationNotice + 24*time.Hour))})
	if err != nil {
		return err
	}
	picked := pickCancellations(upcoming)
	if picked == nil {
		fmt.Fprintf(l.out, "  %-13s %7d created  (no upcoming lessons to cancel this term)\n", "make-ups", 0)
		return nil
	}
	creditsBefore, _ := l.app.CountRecords("makeup_credits")
	cancel := func(tx core.App, lesson *core.Record, by string) error {
		lesson.Set("status", "cancelled")
		lesson.Set("cancelled_by", by)
		return tx.Save(lesson)
	}
	write := func(withMakeup bool) error {
		return l.app.RunInTransaction(func(tx core.App) error {
			for i, lesson := range picked {
				// Records are reloaded: a rolled-back attempt changed the first copies.
				fresh, err := tx.FindRecordById("lessons", lesson.Id)
				if err != nil {
					return err
				}
				by := "family"
				if i == len(picked)-1 {
					by = "academy" // the teacher is ill: a credit whatever the notice
				}
				if err := cancel(tx, fresh, by); err != nil {
					return fmt.Errorf("cancel lesson %s: %w%s", lesson.Id, err, errorDetail(err))
				}
			}
			if !withMakeup {
				return nil
			}
			// The first family rebooks its lesson into the slot the second freed
			// (same teacher), spending the credit it just got.
			col, err := tx.FindCachedCollectionByNameOrId("lessons")
			if err != nil {
				return err
			}
			first, freed := picked[0], picked[1]
			makeup := core.NewRecord(col)
			makeup.Load(map[string]any{
				"teacher": freed.GetString("teacher"), "student": first.GetString("student"), "instrument": first.GetString("instrument"),
				"start": freed.GetDateTime("start"), "end": freed.GetDateTime("end"), "kind": "makeup", "status": "scheduled",
			})
			if err := tx.Save(makeup); err != nil {
				return fmt.Errorf("make-up lesson: %w%s", err, errorDetail(err))
			}
			return nil
		})
	}
	makeupNote := "one spent on a make-up lesson"
	if err := write(true); err != nil {
		fmt.Fprintf(l.out, "  make-up lesson not booked (%v); cancelling only\n", err)
		makeupNote = "none spent"
		if err := write(false); err != nil {
			return err
		}
	}
	creditsAfter, _ := l.app.CountRecords("makeup_credits")
	l.result.Created["makeup_credits"] += int(creditsAfter - creditsBefore)
	fmt.Fprintf(l.out, "  %-13s %7d lessons cancelled, %d make-up credits granted (%s)  %7s  (total %s)\n", "make-ups",
		len(picked), creditsAfter-creditsBefore, makeupNote, time.Since(started).Round(time.Millisecond), l.since())
	return nil
}

// pickCancellations chooses four lessons of four different students, the
// first two with the same teacher (the make-up goes into the second's
// slot); nil when the term has too few upcoming lessons.
func pickCancellations(upcoming []*core.Record) []*core.Record {
	students := map[string]bool{}
	var picked []*core.Record
	for _, first := range upcoming {
		for _, second := range upcoming {
			if second.GetString("teacher") == first.GetString("teacher") && second.GetString("student") != first.GetString("student") &&
				second.GetString("instrument") == first.GetString("instrument") {
				picked = []*core.Record{first, second}
				break
			}
		}
		if picked != nil {
			break
		}
	}
	if picked == nil {
		return nil
	}
	students[picked[0].GetString("student")], students[picked[1].GetString("student")] = true, true
	for _, l := range upcoming {
		if len(picked) == 4 {
			return picked
		}
		if !students[l.GetString("student")] {
			students[l.GetString("student")] = true
			picked = append(picked, l)
		}
	}
	return nil
}
