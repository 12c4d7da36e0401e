package peopleapi

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/pocketbase/dbx"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"cedarheights/hooks"
	"cedarheights/records"
)

// students.go: the seed's /api/v1/students routes over the students
// collection. Who may list, view, create, change, soft delete or restore
// which student is decided by the collection's rules (see access.go).

// studentSorts are the allowed ?sort= values; each ends on id so pages
// never overlap.
var studentSorts = map[string]string{
	"name":        "last_name,first_name,id",
	"-name":       "-last_name,-first_name,-id",
	"created":     "created,id",
	"-created":    "-created,-id",
	"updated":     "updated,id",
	"-updated":    "-updated,-id",
	"birth_date":  "birth_date,id",
	"-birth_date": "-birth_date,-id",
	"status":      "status,last_name,first_name,id",
}

var studentStatuses = []any{"prospect", "active", "paused", "withdrawn"}

// studentFilters are the list's query parameters besides pagination.
type studentFilters struct {
	Status         string `json:"status"`
	Instrument     string `json:"instrument"`
	Teacher        string `json:"teacher"`
	Parent         string `json:"parent"`
	Q              string `json:"q"`
	IncludeDeleted string `json:"include_deleted"`
}

func (f studentFilters) validate() error {
	return validation.ValidateStruct(&f,
		validation.Field(&f.Status, validation.In(studentStatuses...).Error("Must be prospect, active, paused or withdrawn.")),
		validation.Field(&f.Instrument, hooks.IsRecordID),
		validation.Field(&f.Teacher, hooks.IsRecordID),
		validation.Field(&f.Parent, hooks.IsRecordID),
		validation.Field(&f.Q, validation.RuneLength(0, 100)),
		validation.Field(&f.IncludeDeleted, hooks.IsFlag),
	)
}

// query turns the filters into PocketBase filter syntax; they narrow the
// ListRule and never widen it (a parent asking for ?parent=<other family>
// gets an empty page). Deleted students are left out unless asked for, and
// even then only callers whose rules show deleted rows (admins) see them.
func (f studentFilters) query() hooks.ListQuery {
	var conds []string
	params := dbx.Params{}
	add := func(cond, name, value string) {
		if value != "" {
			conds = append(conds, cond)
			params[name] = value
		}
	}
	add("status = {:status}", "status", f.Status)
	add("instruments:each ?= {:instrument}", "instrument", f.Instrument)
	add("preferred_teacher = {:teacher}", "teacher", f.Teacher)
	add("parent = {:parent}", "parent", f.Parent)
	add("(first_name ~ {:q} || last_name ~ {:q})", "q", f.Q)
	if !hooks.Flag(f.IncludeDeleted) {
		conds = append(conds, `deleted = ""`)
	}
	return hooks.ListQuery{Filter: strings.Join(conds, " && "), Params: params}
}

func ListStudents(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	filters := studentFilters{
		Status: q.Get("status"), Instrument: q.Get("instrument"), Teacher: q.Get("teacher"),
		Parent: q.Get("parent"), Q: q.Get("q"), IncludeDeleted: q.Get("include_deleted"),
	}
	page := hooks.ReadPageParams(e)
	if err := hooks.MergeErrors(filters.validate(), page.Validate(studentSorts)); err != nil {
		return e.BadRequestError("Invalid query parameters.", err)
	}
	lq := filters.query()
	lq.Where = append(lq.Where, taughtNarrowing(e)...)
	page.Apply(&lq, studentSorts, "name")

	result, records, err := hooks.ListVisible(e, "students", lq)
	if err != nil {
		return err
	}
	if err := apis.EnrichRecords(e, records); err != nil {
		return hooks.EnrichError(e, err)
	}
	return e.JSON(http.StatusOK, result)
}

// taughtNarrowing narrows a teacher's list to the students
// student_teachers pairs with it (pb_migrations 1765100300), so SQLite
// reads those few through the pairs' primary key instead of trying the
// ListRule's `teacher_users ~ @request.auth.id` on every student. The rule
// still decides: the pairs are teacher_users split on its spaces, kept by
// triggers in the same transaction, so they hold every student the LIKE
// admits (user ids are 15 characters of [a-z0-9], so the LIKE matches a
// whole id or nothing). Other callers get no narrowing, nor does anyone
// while a trigger is missing (the pairs would fall behind).
func taughtNarrowing(e *core.RequestEvent) []dbx.Expression {
	if e.Auth == nil || e.Auth.Collection().Name != "users" || e.Auth.GetString("role") != "teacher" {
		return nil
	}
	if !pairsKept(e.App) {
		return nil
	}
	return []dbx.Expression{dbx.NewExp(
		"[[students.id]] IN (SELECT [[student]] FROM [[student_teachers]] WHERE [[teacher_user]] = {:taught_by})",
		dbx.Params{"taught_by": e.Auth.Id})}
}

// pairTriggers keep student_teachers (pb_migrations 1765100300).
var pairTriggers = []string{"student_teachers_insert", "student_teachers_update", "student_teachers_delete"}

type pairsCheck struct {
	once sync.Once
	kept bool
}

// pairsKept reports whether student_teachers' triggers all exist (a table
// rebuilt by a later migration would lose them), checked once per app.
func pairsKept(app core.App) bool {
	c := app.Store().GetOrSet("peopleapi.pairsCheck", func() any { return &pairsCheck{} }).(*pairsCheck)
	c.once.Do(func() {
		missing, err := records.MissingTriggers(app, pairTriggers...)
		switch {
		case err != nil:
			app.Logger().Error("students list: cannot list the triggers; teachers' lists are not narrowed", "error", err)
		case len(missing) > 0:
			app.Logger().Error("students list: student_teachers triggers are missing; teachers' lists are not narrowed", "missing", missing)
		default:
			c.kept = true
		}
	})
	return c.kept
}

func ViewStudent(e *core.RequestEvent) error {
	record, err := hooks.FindVisible(e, "students", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	return hooks.RespondRecord(e, http.StatusOK, record)
}

// CreateStudent creates a student: 201 with the record. A status left out
// is prospect (what a parent may create, and where an admin's enquiry
// starts).
func CreateStudent(e *core.RequestEvent) error {
	collection, err := e.App.FindCachedCollectionByNameOrId("students")
	if err != nil {
		return e.InternalServerError("", err)
	}
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	data := b.Record(collection, hooks.IsSuperuser(e))
	record := core.NewRecord(collection)
	record.Load(data)
	if !b.Has("status") {
		record.Set("status", defaultStudentStatus)
	}
	// The CreateRule compares the submitted parent with the caller; without
	// one it would answer 403 where the honest answer is a missing field.
	b.RequireFields(e.Request.Context(), e.App, record)
	if err := b.Check(e); err != nil {
		return err
	}
	err = hooks.WriteTx(e, func(txApp core.App) error {
		if err := hooks.CheckCreate(txApp, e, record, data); err != nil {
			return err
		}
		if err := txApp.Save(record); err != nil {
			return hooks.SaveError(e, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return hooks.RespondRecord(e, http.StatusCreated, record)
}

// defaultStudentStatus is a new student's status when the body leaves it out.
const defaultStudentStatus = "prospect"

// UpdateStudent serves PUT and PATCH alike: fields left out keep their
// values (PocketBase's update semantics).
func UpdateStudent(e *core.RequestEvent) error {
	record, err := hooks.FindVisible(e, "students", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := hooks.ReadBody(e)
	if err != nil {
		return err
	}
	body := b.Record(record.Collection(), hooks.IsSuperuser(e))
	if err := b.Check(e); err != nil {
		return err
	}
	if record, err = writeStudent(e, record.Id, func(*core.Record) map[string]any { return body }); err != nil {
		return err
	}
	return hooks.RespondRecord(e, http.StatusOK, record)
}

// SoftDeleteStudent stamps `deleted`; the UpdateRule decides who may, as if
// the client had sent {"deleted": now}. Deleting twice keeps the first
// stamp and writes nothing, even when both requests arrive at once.
func SoftDeleteStudent(e *core.RequestEvent) error {
	record, err := hooks.FindVisible(e, "students", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	_, err = writeStudent(e, record.Id, func(current *core.Record) map[string]any {
		if !current.GetDateTime("deleted").IsZero() {
			return nil
		}
		return map[string]any{"deleted": types.NowDateTime().String()}
	})
	if err != nil {
		return err
	}
	return e.NoContent(http.StatusNoContent)
}

// RestoreStudent clears `deleted`. Only callers who can see deleted students
// and whose UpdateRule allows clearing the stamp (admins) get this far.
func RestoreStudent(e *core.RequestEvent) error {
	record, err := hooks.FindVisible(e, "students", e.Request.PathValue("id"))
	if err != nil {
		return err
	}
	record, err = writeStudent(e, record.Id, func(*core.Record) map[string]any { return map[string]any{"deleted": ""} })
	if err != nil {
		return err
	}
	return hooks.RespondRecord(e, http.StatusOK, record)
}

// writeStudent re-reads the student in the write's transaction, asks
// bodyFor for the change on that copy (nil: nothing to write), checks the
// UpdateRule for it and saves it, so a request that read the student before
// a concurrent write committed neither decides on nor writes back its stale
// copy (an update racing a soft delete would otherwise undelete).
func writeStudent(e *core.RequestEvent, id string, bodyFor func(current *core.Record) map[string]any) (*core.Record, error) {
	var record *core.Record
	err := hooks.WriteTx(e, func(txApp core.App) error {
		current, err := txApp.FindRecordById("students", id)
		if errors.Is(err, sql.ErrNoRows) {
			return e.NotFoundError("", nil) // hard deleted since the caller's read
		}
		if err != nil {
			return e.InternalServerError("", err)
		}
		record = current
		body := bodyFor(current)
		if body == nil {
			return nil
		}
		if err := hooks.CheckRule(txApp, e, current, current.Collection().UpdateRule, body); err != nil {
			return err
		}
		current.Load(body)
		if err := txApp.Save(current); err != nil {
			return hooks.SaveError(e, err)
		}
		return nil
	})
	return record, err
}
