// Package migrations holds the academy's schema: collections, API rules,
// indexes and settings. Every access decision lives in these rules; custom
// routes re-use them through hooks/access.go instead of copying them.
package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Role predicates shared by the rules below.
const (
	isAdmin    = `@request.auth.collectionName = "users" && @request.auth.role = "admin"`
	isTeacher  = `@request.auth.collectionName = "users" && @request.auth.role = "teacher"`
	isParent   = `@request.auth.collectionName = "users" && @request.auth.role = "parent"`
	isSignedIn = `@request.auth.id != ""`
)

// Collection ids are fixed so that relations, tests and later migrations can
// name them without a lookup.
const (
	idInstruments   = "pbc_instruments"
	idRooms         = "pbc_rooms"
	idTeachers      = "pbc_teachers"
	idAvailability  = "pbc_availability"
	idTimeOff       = "pbc_time_off"
	idClosures      = "pbc_closures"
	idStudents      = "pbc_students"
	idLessons       = "pbc_lessons"
	idLessonPrivate = "pbc_lesson_private_notes"
	idPricingPlans  = "pbc_pricing_plans"
	idEnrollments   = "pbc_enrollments"
	idPayments      = "pbc_payments"
	idAuditLogs     = "pbc_audit_logs"
	idAcademy       = "pbc_academy"
	idMakeupCredits = "pbc_makeup_credits"
	idCalendarFeeds = "pbc_calendar_feeds"
)

const (
	clockPattern    = `^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$`
	currencyPattern = `^[a-z]{3}$`
)

func init() {
	m.Register(func(app core.App) error {
		builders := []func(core.App) (*core.Collection, error){
			usersCollection,
			instrumentsCollection,
			roomsCollection,
			teachersCollection,
			availabilityCollection,
			timeOffCollection,
			closuresCollection,
			studentsCollection,
			lessonsCollection,
			lessonPrivateNotesCollection,
			pricingPlansCollection,
			enrollmentsCollection,
			paymentsCollection,
			auditLogsCollection,
			academyCollection,
		}

		// First pass: fields and indexes. Rules may reference collections
		// created later (back-relations), so they are set in a second pass.
		built := make([]*core.Collection, 0, len(builders))
		rules := make([]collectionRules, 0, len(builders))
		for _, build := range builders {
			c, err := build(app)
			if err != nil {
				return err
			}
			rules = append(rules, takeRules(c))
			if err := app.Save(c); err != nil {
				return err
			}
			built = append(built, c)
		}
		for i, c := range built {
			rules[i].apply(c)
			if err := app.Save(c); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		for _, name := range []string{
			"academy", "audit_logs", "payments", "enrollments", "pricing_plans",
			"lesson_private_notes", "lessons", "students", "closures", "time_off",
			"availability", "teachers", "rooms", "instruments",
		} {
			c, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				continue
			}
			if err := app.Delete(c); err != nil {
				return err
			}
		}
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		for _, f := range []string{"role", "phone", "timezone"} {
			users.Fields.RemoveByName(f)
		}
		return app.Save(users)
	})
}

type collectionRules struct {
	list, view, create, update, delete *string
}

func takeRules(c *core.Collection) collectionRules {
	r := collectionRules{c.ListRule, c.ViewRule, c.CreateRule, c.UpdateRule, c.DeleteRule}
	c.ListRule, c.ViewRule, c.CreateRule, c.UpdateRule, c.DeleteRule = nil, nil, nil, nil, nil
	return r
}

func (r collectionRules) apply(c *core.Collection) {
	c.ListRule, c.ViewRule, c.CreateRule, c.UpdateRule, c.DeleteRule = r.list, r.view, r.create, r.update, r.delete
}

func rule(s string) *string { return types.Pointer(s) }

func or(parts ...string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += " || "
		}
		out += "(" + p + ")"
	}
	return out
}

func created() *core.AutodateField {
	return &core.AutodateField{Name: "created", OnCreate: true}
}

func updated() *core.AutodateField {
	return &core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true}
}

func relation(name, collectionId string, required bool) *core.RelationField {
	return &core.RelationField{Name: name, CollectionId: collectionId, MaxSelect: 1, Required: required}
}

func minZero() *float64 { return ptr(0.0) }

func ptr[T any](v T) *T { return &v }
