package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

const idSlotOffers = "pbc_slot_offers"

// Freed slots offered (offers/): a cancelled lesson's slot is offered by
// mail to families with a make-up credit, then to students who asked for a
// different weekly time. One slot_offers row per family offered, written by
// the offers workflow and decided by POST /api/v1/offers/{token}/accept;
// families read their own offers, nobody writes them through the record
// API. students.wants_other_time is the family's "we would rather have
// another weekly time" (the family sets it like any other detail of its
// child), which puts the student in the offers' second round.
func init() {
	m.Register(func(app core.App) error {
		students, err := app.FindCollectionByNameOrId(idStudents)
		if err != nil {
			return err
		}
		students.Fields.Add(&core.BoolField{Name: "wants_other_time", Help: "the family would rather have another weekly time: freed slots are offered to it"})
		students.AddIndex("idx_students_wants_other_time", false, "`wants_other_time`, `status`", "")
		if err := app.Save(students); err != nil {
			return err
		}

		c := core.NewBaseCollection("slot_offers", idSlotOffers)
		c.Fields.Add(
			relation("lesson", idLessons, true), // the cancelled lesson whose slot is offered
			relation("teacher", idTeachers, true),
			relation("instrument", idInstruments, true),
			&core.DateField{Name: "start", Required: true},
			&core.DateField{Name: "end", Required: true},
			relation("family", "_pb_users_auth_", true),
			relation("student", idStudents, true),
			&core.SelectField{Name: "kind", Values: []string{"makeup", "move"}, MaxSelect: 1, Required: true,
				Help: "makeup: accepting books a make-up lesson with the student's credit; move: it moves the lesson named in moves"},
			relation("moves", idLessons, false),
			&core.DateField{Name: "moves_start", Help: "where the lesson to move was when it was offered"},
			&core.TextField{Name: "token", Required: true, Min: 32, Max: 64, Pattern: `^[A-Za-z0-9]+$`},
			&core.TextField{Name: "run", Required: true, Max: 64, Help: "the offers workflow run that made the offer"},
			&core.SelectField{Name: "status", Values: []string{"open", "taken", "gone", "expired"}, MaxSelect: 1, Required: true},
			&core.DateField{Name: "expires_at", Required: true},
			relation("booked", idLessons, false), // the lesson booked or moved by the acceptance
			&core.DateField{Name: "decided_at"},
			created(), updated(),
		)
		c.AddIndex("idx_slot_offers_token", true, "`token`", "")
		c.AddIndex("idx_slot_offers_run_student", true, "`run`, `student`", "")
		c.AddIndex("idx_slot_offers_family", false, "`family`, `status`", "")
		c.AddIndex("idx_slot_offers_lesson", false, "`lesson`", "")
		c.ListRule = rule(or(isParent+" && family = @request.auth.id", isAdmin))
		c.ViewRule = c.ListRule
		return app.Save(c)
	}, func(app core.App) error {
		if c, err := app.FindCollectionByNameOrId(idSlotOffers); err == nil {
			if err := app.Delete(c); err != nil {
				return err
			}
		}
		students, err := app.FindCollectionByNameOrId(idStudents)
		if err != nil {
			return err
		}
		students.RemoveIndex("idx_students_wants_other_time")
		students.Fields.RemoveByName("wants_other_time")
		return app.Save(students)
	})
}
