package hooks_test

import (
	"fmt"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/internal/testapp"
)

// TestRoleMatrixCollectionAPI asks PocketBase's built-in record API every
// question of the matrix: 7 roles × 15 collections × 5 operations, plus the
// probes that try to reach another family's or another teacher's data.
func TestRoleMatrixCollectionAPI(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	academy := matrixAcademyID(t)
	all := matrixUniverse(f, academy)
	runMatrix(t, f, all, collectionMatrix(f, academy))
}

// collectionMatrix is the table. Reading a row: role.operation(collection,
// target, body, expected status) or role.list(collection, ids that come back).
// Refusals follow PocketBase: a collection with no rule answers 403 to all
// but superusers; a rule that does not match answers 404 on view, update and
// delete, 400 on create, and simply leaves the row out of a list.
func collectionMatrix(f *testapp.Fixtures, academy string) []matrixCell {
	const (
		ok        = 200
		deleted   = 204
		refused   = 400
		forbidden = 403
		notFound  = 404
	)
	var (
		A, B   = f.ParentA.ID, f.ParentB.ID
		XU, YU = f.TeacherXUser.ID, f.TeacherYUser.ID
		X, Y   = f.TeacherX, f.TeacherY
		A1, A2 = f.StudentA1, f.StudentA2
		ADel   = f.StudentADeleted
		B1     = f.StudentB1
		LA1    = f.LessonA1
		LB1    = f.LessonB1
		note   = f.PrivateNoteA1
		audit  = matrixAuditID
	)
	everyUser := []string{f.Admin.ID, A, B, XU, YU, spareUserID}
	signUp := `{"email":"new.family@cedarheights.test","password":"password123","passwordConfirm":"password123","name":"New Family"}`
	signUpAs := func(role string) string {
		return fmt.Sprintf(`{"email":"new.%s@cedarheights.test","password":"password123","passwordConfirm":"password123","name":"New","role":%q}`, role, role)
	}
	teacherProfile := fmt.Sprintf(`{"user":%q,"display_name":"Ada Admin","lesson_lengths":["30"],"active":true}`, f.Admin.ID)
	window := func(teacher string) string {
		return fmt.Sprintf(`{"teacher":%q,"weekday":2,"start_time":"09:00","end_time":"10:00"}`, teacher)
	}
	timeOff := func(teacher string) string {
		return fmt.Sprintf(`{"teacher":%q,"start":"2030-01-01 00:00:00.000Z","end":"2030-01-02 00:00:00.000Z","reason":"Matrix"}`, teacher)
	}
	closure := `{"name":"Matrix day","start":"2030-02-01 00:00:00.000Z","end":"2030-02-02 00:00:00.000Z"}`
	child := func(parent string) string {
		return fmt.Sprintf(`{"parent":%q,"first_name":"Nia","last_name":"Nguyen","status":"prospect"}`, parent)
	}
	lesson := fmt.Sprintf(`{"teacher":%q,"student":%q,"instrument":%q,"start":"2030-03-04 16:00:00.000Z","end":"2030-03-04 16:30:00.000Z","kind":"trial","status":"scheduled"}`, X, A2, f.Piano)
	privateNote := fmt.Sprintf(`{"lesson":%q,"note":"Needs a new bow"}`, LB1)
	plan := `{"name":"Semester 45","lesson_minutes":45,"lessons_per_period":16,"interval":"semester","amount":72000,"currency":"cad","public":true,"active":true}`
	enrollment := fmt.Sprintf(`{"student":%q,"teacher":%q,"plan":%q,"status":"pending","weekday":3,"start_time":"12:00","start_date":"2030-01-06 00:00:00.000Z"}`, A2, Y, f.PlanPublic)
	payment := fmt.Sprintf(`{"family":%q,"amount":2500,"currency":"cad","status":"pending","kind":"materials","method":"cash"}`, A)
	auditEntry := `{"action":"create","collection":"students","record":"forged"}`
	settings := `{"name":"Second academy","timezone":"UTC","currency":"cad"}`

	rows := []matrixCell{
		// users: oneself, or an admin. Sign-up is open but yields a parent.
		asAnonymous.list("users"),
		asAnonymous.view("users", A, notFound),
		asAnonymous.create("users", signUp, ok).checking(roleIs("parent")),
		asAnonymous.update("users", A, `{"name":"Renamed"}`, notFound),
		asAnonymous.remove("users", A, notFound),
		asParentA.list("users", A),
		asParentA.view("users", A, ok),
		asParentA.create("users", signUp, ok).checking(roleIs("parent")),
		asParentA.update("users", A, `{"name":"Renamed"}`, ok),
		asParentA.remove("users", A, notFound),
		asParentB.list("users", B),
		asParentB.view("users", B, ok),
		asParentB.create("users", signUp, ok).checking(roleIs("parent")),
		asParentB.update("users", B, `{"name":"Renamed"}`, ok),
		asParentB.remove("users", B, notFound),
		asTeacherX.list("users", XU),
		asTeacherX.view("users", XU, ok),
		asTeacherX.create("users", signUp, ok).checking(roleIs("parent")),
		asTeacherX.update("users", XU, `{"name":"Renamed"}`, ok),
		asTeacherX.remove("users", XU, notFound),
		asTeacherY.list("users", YU),
		asTeacherY.view("users", YU, ok),
		asTeacherY.create("users", signUp, ok).checking(roleIs("parent")),
		asTeacherY.update("users", YU, `{"name":"Renamed"}`, ok),
		asTeacherY.remove("users", YU, notFound),
		asAdmin.list("users", everyUser...),
		asAdmin.view("users", A, ok),
		asAdmin.create("users", signUpAs("teacher"), ok).checking(roleIs("teacher")),
		asAdmin.update("users", A, `{"name":"Renamed"}`, ok),
		asAdmin.remove("users", spareUserID, deleted),
		asSuperuser.list("users", everyUser...),
		asSuperuser.view("users", A, ok),
		asSuperuser.create("users", signUpAs("admin"), ok).checking(roleIs("admin")),
		asSuperuser.update("users", A, `{"name":"Renamed"}`, ok),
		asSuperuser.remove("users", spareUserID, deleted),
		// probes: promotion on sign-up or by oneself, other people's accounts
		asAnonymous.create("users", signUpAs("admin"), refused),
		asAnonymous.create("users", signUpAs("teacher"), refused),
		asParentA.create("users", signUpAs("admin"), refused),
		asParentA.update("users", A, `{"role":"admin"}`, notFound),
		asParentA.update("users", A, `{"role":"teacher"}`, notFound),
		asTeacherX.update("users", XU, `{"role":"admin"}`, notFound),
		asAnonymous.create("users", `{"email":"v@cedarheights.test","password":"password123","passwordConfirm":"password123","verified":true}`, refused),
		asParentA.update("users", A, `{"verified":false}`, refused),
		asParentA.update("users", A, `{"email":"taken.over@cedarheights.test"}`, refused),
		asParentA.view("users", B, notFound),
		asParentA.update("users", B, `{"name":"Renamed"}`, notFound),
		asParentA.listWhere("users", fmt.Sprintf("id=%q", B)),
		asAdmin.update("users", A, `{"role":"teacher"}`, ok).checking(storedIs("users", A, "role", "teacher")),

		// instruments: active ones are public, every signed-in user sees all.
		asAnonymous.list("instruments", f.Piano, f.Violin),
		asAnonymous.view("instruments", f.Theremin, notFound),
		asAnonymous.create("instruments", `{"name":"Cello","active":true}`, refused),
		asAnonymous.update("instruments", f.Piano, `{"min_age":7}`, notFound),
		asAnonymous.remove("instruments", f.Theremin, notFound),
		asParentA.list("instruments", f.Piano, f.Violin, f.Theremin),
		asParentA.view("instruments", f.Theremin, ok),
		asParentA.create("instruments", `{"name":"Cello","active":true}`, refused),
		asParentA.update("instruments", f.Piano, `{"min_age":7}`, notFound),
		asParentA.remove("instruments", f.Theremin, notFound),
		asParentB.list("instruments", f.Piano, f.Violin, f.Theremin),
		asParentB.view("instruments", f.Theremin, ok),
		asParentB.create("instruments", `{"name":"Cello","active":true}`, refused),
		asParentB.update("instruments", f.Piano, `{"min_age":7}`, notFound),
		asParentB.remove("instruments", f.Theremin, notFound),
		asTeacherX.list("instruments", f.Piano, f.Violin, f.Theremin),
		asTeacherX.view("instruments", f.Theremin, ok),
		asTeacherX.create("instruments", `{"name":"Cello","active":true}`, refused),
		asTeacherX.update("instruments", f.Piano, `{"min_age":7}`, notFound),
		asTeacherX.remove("instruments", f.Theremin, notFound),
		asTeacherY.list("instruments", f.Piano, f.Violin, f.Theremin),
		asTeacherY.view("instruments", f.Theremin, ok),
		asTeacherY.create("instruments", `{"name":"Cello","active":true}`, refused),
		asTeacherY.update("instruments", f.Piano, `{"min_age":7}`, notFound),
		asTeacherY.remove("instruments", f.Theremin, notFound),
		asAdmin.list("instruments", f.Piano, f.Violin, f.Theremin),
		asAdmin.view("instruments", f.Theremin, ok),
		asAdmin.create("instruments", `{"name":"Cello","active":true}`, ok),
		asAdmin.update("instruments", f.Piano, `{"min_age":7}`, ok),
		asAdmin.remove("instruments", f.Theremin, deleted),
		asSuperuser.list("instruments", f.Piano, f.Violin, f.Theremin),
		asSuperuser.view("instruments", f.Theremin, ok),
		asSuperuser.create("instruments", `{"name":"Cello","active":true}`, ok),
		asSuperuser.update("instruments", f.Piano, `{"min_age":7}`, ok),
		asSuperuser.remove("instruments", f.Theremin, deleted),
		asAnonymous.view("instruments", f.Piano, ok),

		// rooms: signed-in users read, admins write.
		asAnonymous.list("rooms"),
		asAnonymous.view("rooms", f.Room, notFound),
		asAnonymous.create("rooms", `{"name":"Studio 2","capacity":1}`, refused),
		asAnonymous.update("rooms", f.Room, `{"capacity":3}`, notFound),
		asAnonymous.remove("rooms", f.Room, notFound),
		asParentA.list("rooms", f.Room),
		asParentA.view("rooms", f.Room, ok),
		asParentA.create("rooms", `{"name":"Studio 2","capacity":1}`, refused),
		asParentA.update("rooms", f.Room, `{"capacity":3}`, notFound),
		asParentA.remove("rooms", f.Room, notFound),
		asParentB.list("rooms", f.Room),
		asParentB.view("rooms", f.Room, ok),
		asParentB.create("rooms", `{"name":"Studio 2","capacity":1}`, refused),
		asParentB.update("rooms", f.Room, `{"capacity":3}`, notFound),
		asParentB.remove("rooms", f.Room, notFound),
		asTeacherX.list("rooms", f.Room),
		asTeacherX.view("rooms", f.Room, ok),
		asTeacherX.create("rooms", `{"name":"Studio 2","capacity":1}`, refused),
		asTeacherX.update("rooms", f.Room, `{"capacity":3}`, notFound),
		asTeacherX.remove("rooms", f.Room, notFound),
		asTeacherY.list("rooms", f.Room),
		asTeacherY.view("rooms", f.Room, ok),
		asTeacherY.create("rooms", `{"name":"Studio 2","capacity":1}`, refused),
		asTeacherY.update("rooms", f.Room, `{"capacity":3}`, notFound),
		asTeacherY.remove("rooms", f.Room, notFound),
		asAdmin.list("rooms", f.Room),
		asAdmin.view("rooms", f.Room, ok),
		asAdmin.create("rooms", `{"name":"Studio 2","capacity":1}`, ok),
		asAdmin.update("rooms", f.Room, `{"capacity":3}`, ok),
		asAdmin.remove("rooms", f.Room, deleted),
		asSuperuser.list("rooms", f.Room),
		asSuperuser.view("rooms", f.Room, ok),
		asSuperuser.create("rooms", `{"name":"Studio 2","capacity":1}`, ok),
		asSuperuser.update("rooms", f.Room, `{"capacity":3}`, ok),
		asSuperuser.remove("rooms", f.Room, deleted),

		// teachers: public+active ones are public, signed-in users see the
		// active ones, a teacher edits its own profile but not how the
		// academy lists it.
		asAnonymous.list("teachers", X, Y),
		asAnonymous.view("teachers", f.TeacherHidden, notFound),
		asAnonymous.create("teachers", teacherProfile, refused),
		asAnonymous.update("teachers", X, `{"bio":"<p>New.</p>"}`, notFound),
		asAnonymous.remove("teachers", f.TeacherHidden, notFound),
		asParentA.list("teachers", X, Y, f.TeacherHidden),
		asParentA.view("teachers", f.TeacherHidden, ok),
		asParentA.create("teachers", teacherProfile, refused),
		asParentA.update("teachers", X, `{"bio":"<p>New.</p>"}`, notFound),
		asParentA.remove("teachers", f.TeacherHidden, notFound),
		asParentB.list("teachers", X, Y, f.TeacherHidden),
		asParentB.view("teachers", f.TeacherHidden, ok),
		asParentB.create("teachers", teacherProfile, refused),
		asParentB.update("teachers", Y, `{"bio":"<p>New.</p>"}`, notFound),
		asParentB.remove("teachers", f.TeacherHidden, notFound),
		asTeacherX.list("teachers", X, Y, f.TeacherHidden),
		asTeacherX.view("teachers", X, ok),
		asTeacherX.create("teachers", teacherProfile, refused),
		asTeacherX.update("teachers", X, `{"bio":"<p>New.</p>"}`, ok),
		asTeacherX.remove("teachers", X, notFound),
		asTeacherY.list("teachers", X, Y, f.TeacherHidden),
		asTeacherY.view("teachers", Y, ok),
		asTeacherY.create("teachers", teacherProfile, refused),
		asTeacherY.update("teachers", Y, `{"bio":"<p>New.</p>"}`, ok),
		asTeacherY.remove("teachers", Y, notFound),
		asAdmin.list("teachers", X, Y, f.TeacherHidden),
		asAdmin.view("teachers", f.TeacherHidden, ok),
		asAdmin.create("teachers", teacherProfile, ok),
		asAdmin.update("teachers", X, `{"public":false}`, ok),
		asAdmin.remove("teachers", f.TeacherHidden, deleted),
		asSuperuser.list("teachers", X, Y, f.TeacherHidden),
		asSuperuser.view("teachers", f.TeacherHidden, ok),
		asSuperuser.create("teachers", teacherProfile, ok),
		asSuperuser.update("teachers", X, `{"public":false}`, ok),
		asSuperuser.remove("teachers", f.TeacherHidden, deleted),
		// probes: another teacher's profile, the academy's own switches
		asAnonymous.view("teachers", X, ok),
		asTeacherX.update("teachers", Y, `{"bio":"<p>Mine now.</p>"}`, notFound),
		asTeacherX.update("teachers", X, `{"public":false}`, notFound),
		asTeacherX.update("teachers", X, `{"capacity":200}`, notFound),
		asTeacherX.update("teachers", X, fmt.Sprintf(`{"user":%q}`, A), notFound),

		// availability: signed-in users read, a teacher writes its own.
		asAnonymous.list("availability"),
		asAnonymous.view("availability", f.AvailabilityX, notFound),
		asAnonymous.create("availability", window(X), refused),
		asAnonymous.update("availability", f.AvailabilityX, `{"end_time":"20:00"}`, notFound),
		asAnonymous.remove("availability", f.AvailabilityX, notFound),
		asParentA.list("availability", f.AvailabilityX, f.AvailabilityY),
		asParentA.view("availability", f.AvailabilityX, ok),
		asParentA.create("availability", window(X), refused),
		asParentA.update("availability", f.AvailabilityX, `{"end_time":"20:00"}`, notFound),
		asParentA.remove("availability", f.AvailabilityX, notFound),
		asParentB.list("availability", f.AvailabilityX, f.AvailabilityY),
		asParentB.view("availability", f.AvailabilityY, ok),
		asParentB.create("availability", window(Y), refused),
		asParentB.update("availability", f.AvailabilityY, `{"end_time":"20:00"}`, notFound),
		asParentB.remove("availability", f.AvailabilityY, notFound),
		asTeacherX.list("availability", f.AvailabilityX, f.AvailabilityY),
		asTeacherX.view("availability", f.AvailabilityX, ok),
		asTeacherX.create("availability", window(X), ok),
		asTeacherX.update("availability", f.AvailabilityX, `{"end_time":"20:00"}`, ok),
		asTeacherX.remove("availability", f.AvailabilityX, deleted),
		asTeacherY.list("availability", f.AvailabilityX, f.AvailabilityY),
		asTeacherY.view("availability", f.AvailabilityY, ok),
		asTeacherY.create("availability", window(Y), ok),
		asTeacherY.update("availability", f.AvailabilityY, `{"end_time":"20:00"}`, ok),
		asTeacherY.remove("availability", f.AvailabilityY, deleted),
		asAdmin.list("availability", f.AvailabilityX, f.AvailabilityY),
		asAdmin.view("availability", f.AvailabilityX, ok),
		asAdmin.create("availability", window(X), ok),
		asAdmin.update("availability", f.AvailabilityX, `{"end_time":"20:00"}`, ok),
		asAdmin.remove("availability", f.AvailabilityX, deleted),
		asSuperuser.list("availability", f.AvailabilityX, f.AvailabilityY),
		asSuperuser.view("availability", f.AvailabilityX, ok),
		asSuperuser.create("availability", window(X), ok),
		asSuperuser.update("availability", f.AvailabilityX, `{"end_time":"20:00"}`, ok),
		asSuperuser.remove("availability", f.AvailabilityX, deleted),
		// probes: a teacher touching another teacher's week
		asTeacherX.create("availability", window(Y), refused),
		asTeacherX.update("availability", f.AvailabilityY, `{"end_time":"20:00"}`, notFound),
		asTeacherX.update("availability", f.AvailabilityX, fmt.Sprintf(`{"teacher":%q}`, Y), notFound),
		asTeacherX.remove("availability", f.AvailabilityY, notFound),

		// time_off: the teacher's own and admins only.
		asAnonymous.list("time_off"),
		asAnonymous.view("time_off", f.TimeOffX, notFound),
		asAnonymous.create("time_off", timeOff(X), refused),
		asAnonymous.update("time_off", f.TimeOffX, `{"reason":"Changed"}`, notFound),
		asAnonymous.remove("time_off", f.TimeOffX, notFound),
		asParentA.list("time_off"),
		asParentA.view("time_off", f.TimeOffX, notFound),
		asParentA.create("time_off", timeOff(X), refused),
		asParentA.update("time_off", f.TimeOffX, `{"reason":"Changed"}`, notFound),
		asParentA.remove("time_off", f.TimeOffX, notFound),
		asParentB.list("time_off"),
		asParentB.view("time_off", f.TimeOffY, notFound),
		asParentB.create("time_off", timeOff(Y), refused),
		asParentB.update("time_off", f.TimeOffY, `{"reason":"Changed"}`, notFound),
		asParentB.remove("time_off", f.TimeOffY, notFound),
		asTeacherX.list("time_off", f.TimeOffX),
		asTeacherX.view("time_off", f.TimeOffX, ok),
		asTeacherX.create("time_off", timeOff(X), ok),
		asTeacherX.update("time_off", f.TimeOffX, `{"reason":"Changed"}`, ok),
		asTeacherX.remove("time_off", f.TimeOffX, deleted),
		asTeacherY.list("time_off", f.TimeOffY),
		asTeacherY.view("time_off", f.TimeOffY, ok),
		asTeacherY.create("time_off", timeOff(Y), ok),
		asTeacherY.update("time_off", f.TimeOffY, `{"reason":"Changed"}`, ok),
		asTeacherY.remove("time_off", f.TimeOffY, deleted),
		asAdmin.list("time_off", f.TimeOffX, f.TimeOffY),
		asAdmin.view("time_off", f.TimeOffX, ok),
		asAdmin.create("time_off", timeOff(X), ok),
		asAdmin.update("time_off", f.TimeOffX, `{"reason":"Changed"}`, ok),
		asAdmin.remove("time_off", f.TimeOffX, deleted),
		asSuperuser.list("time_off", f.TimeOffX, f.TimeOffY),
		asSuperuser.view("time_off", f.TimeOffX, ok),
		asSuperuser.create("time_off", timeOff(X), ok),
		asSuperuser.update("time_off", f.TimeOffX, `{"reason":"Changed"}`, ok),
		asSuperuser.remove("time_off", f.TimeOffX, deleted),
		asTeacherX.view("time_off", f.TimeOffY, notFound),
		asTeacherX.create("time_off", timeOff(Y), refused),
		asTeacherX.update("time_off", f.TimeOffY, `{"reason":"Changed"}`, notFound),

		// closures: school holidays are public, admins write.
		asAnonymous.list("closures", f.Closure),
		asAnonymous.view("closures", f.Closure, ok),
		asAnonymous.create("closures", closure, refused),
		asAnonymous.update("closures", f.Closure, `{"name":"Spring break"}`, notFound),
		asAnonymous.remove("closures", f.Closure, notFound),
		asParentA.list("closures", f.Closure),
		asParentA.view("closures", f.Closure, ok),
		asParentA.create("closures", closure, refused),
		asParentA.update("closures", f.Closure, `{"name":"Spring break"}`, notFound),
		asParentA.remove("closures", f.Closure, notFound),
		asParentB.list("closures", f.Closure),
		asParentB.view("closures", f.Closure, ok),
		asParentB.create("closures", closure, refused),
		asParentB.update("closures", f.Closure, `{"name":"Spring break"}`, notFound),
		asParentB.remove("closures", f.Closure, notFound),
		asTeacherX.list("closures", f.Closure),
		asTeacherX.view("closures", f.Closure, ok),
		asTeacherX.create("closures", closure, refused),
		asTeacherX.update("closures", f.Closure, `{"name":"Spring break"}`, notFound),
		asTeacherX.remove("closures", f.Closure, notFound),
		asTeacherY.list("closures", f.Closure),
		asTeacherY.view("closures", f.Closure, ok),
		asTeacherY.create("closures", closure, refused),
		asTeacherY.update("closures", f.Closure, `{"name":"Spring break"}`, notFound),
		asTeacherY.remove("closures", f.Closure, notFound),
		asAdmin.list("closures", f.Closure),
		asAdmin.view("closures", f.Closure, ok),
		asAdmin.create("closures", closure, ok),
		asAdmin.update("closures", f.Closure, `{"name":"Spring break"}`, ok),
		asAdmin.remove("closures", f.Closure, deleted),
		asSuperuser.list("closures", f.Closure),
		asSuperuser.view("closures", f.Closure, ok),
		asSuperuser.create("closures", closure, ok),
		asSuperuser.update("closures", f.Closure, `{"name":"Spring break"}`, ok),
		asSuperuser.remove("closures", f.Closure, deleted),

		// students: a parent its own family's live students, a teacher the
		// students it teaches, admins all (deleted ones too). Hard delete is
		// for superusers; everyone else soft deletes through "deleted".
		asAnonymous.list("students"),
		asAnonymous.view("students", A1, notFound),
		asAnonymous.create("students", child(A), refused),
		asAnonymous.update("students", A1, `{"notes":"Prefers mornings"}`, notFound),
		asAnonymous.remove("students", A1, forbidden),
		asParentA.list("students", A1, A2),
		asParentA.view("students", A1, ok),
		asParentA.create("students", child(A), ok),
		asParentA.update("students", A1, `{"notes":"Prefers mornings"}`, ok),
		asParentA.remove("students", A1, forbidden),
		asParentB.list("students", B1),
		asParentB.view("students", B1, ok),
		asParentB.create("students", child(B), ok),
		asParentB.update("students", B1, `{"notes":"Prefers mornings"}`, ok),
		asParentB.remove("students", B1, forbidden),
		asTeacherX.list("students", A1),
		asTeacherX.view("students", A1, ok),
		asTeacherX.create("students", child(A), refused),
		asTeacherX.update("students", A1, `{"notes":"Prefers mornings"}`, notFound),
		asTeacherX.remove("students", A1, forbidden),
		asTeacherY.list("students", B1),
		asTeacherY.view("students", B1, ok),
		asTeacherY.create("students", child(B), refused),
		asTeacherY.update("students", B1, `{"notes":"Prefers mornings"}`, notFound),
		asTeacherY.remove("students", B1, forbidden),
		asAdmin.list("students", A1, A2, ADel, B1),
		asAdmin.view("students", ADel, ok),
		asAdmin.create("students", child(A), ok),
		asAdmin.update("students", A1, `{"status":"paused"}`, ok),
		asAdmin.remove("students", ADel, forbidden),
		asSuperuser.list("students", A1, A2, ADel, B1),
		asSuperuser.view("students", ADel, ok),
		asSuperuser.create("students", child(A), ok),
		asSuperuser.update("students", A1, `{"status":"paused"}`, ok),
		asSuperuser.remove("students", ADel, deleted),
		// probes: the other family by id, by filter, by relation; the
		// academy's own fields; soft delete and restore
		asParentA.view("students", B1, notFound),
		asParentA.view("students", ADel, notFound),
		asParentA.listWhere("students", fmt.Sprintf("parent=%q", B)),
		asParentA.listWhere("students", `parent.email="parent.b@cedarheights.test"`),
		asParentA.listWhere("students", `deleted!=""`),
		asParentA.listWhere("students", `first_name="Ben" || id!=""`, A1, A2),
		asParentA.create("students", child(B), refused),
		asParentA.create("students", fmt.Sprintf(`{"parent":%q,"first_name":"Nia","last_name":"N","status":"active"}`, A), refused),
		asParentA.update("students", B1, `{"notes":"mine"}`, notFound),
		asParentA.update("students", A1, `{"status":"active"}`, notFound),
		asParentA.update("students", A1, fmt.Sprintf(`{"parent":%q}`, B), notFound),
		asParentA.update("students", ADel, `{"deleted":""}`, notFound),
		asParentA.update("students", A2, `{"deleted":"2030-01-01 00:00:00.000Z"}`, ok),
		asAdmin.update("students", ADel, `{"deleted":""}`, ok).checking(storedIs("students", ADel, "deleted", "")),
		asTeacherX.view("students", B1, notFound),
		asTeacherX.view("students", A2, notFound),
		asTeacherX.listWhere("students", fmt.Sprintf("parent=%q", B)),

		// lessons: a teacher the lessons it teaches (attendance and notes
		// only), a parent its family's lessons (cancel here; a make-up
		// booking and a move in role_matrix_family_test.go), admins schedule.
		asAnonymous.list("lessons"),
		asAnonymous.view("lessons", LA1, notFound),
		asAnonymous.create("lessons", lesson, refused),
		asAnonymous.update("lessons", LA1, `{"status":"completed"}`, notFound),
		asAnonymous.remove("lessons", LA1, notFound),
		asParentA.list("lessons", LA1),
		asParentA.view("lessons", LA1, ok),
		asParentA.create("lessons", lesson, refused),
		asParentA.update("lessons", LA1, `{"status":"cancelled"}`, notFound),
		asParentA.remove("lessons", LA1, notFound),
		asParentB.list("lessons", LB1),
		asParentB.view("lessons", LB1, ok),
		asParentB.create("lessons", lesson, refused),
		asParentB.update("lessons", LB1, `{"status":"cancelled"}`, notFound),
		asParentB.remove("lessons", LB1, notFound),
		asTeacherX.list("lessons", LA1),
		asTeacherX.view("lessons", LA1, ok),
		asTeacherX.create("lessons", lesson, refused),
		// LA1 and LB1 lie ahead: attendance waits for the start (the
		// lifecycle's table test covers the teachers' marks on past lessons)
		asTeacherX.update("lessons", LA1, `{"status":"completed"}`, refused),
		asTeacherX.remove("lessons", LA1, notFound),
		asTeacherY.list("lessons", LB1),
		asTeacherY.view("lessons", LB1, ok),
		asTeacherY.create("lessons", lesson, refused),
		asTeacherY.update("lessons", LB1, `{"status":"no_show"}`, refused),
		asTeacherY.remove("lessons", LB1, notFound),
		asAdmin.list("lessons", LA1, LB1),
		asAdmin.view("lessons", LB1, ok),
		asAdmin.create("lessons", lesson, ok),
		asAdmin.update("lessons", LA1, `{"start":"2030-03-11 16:00:00.000Z","end":"2030-03-11 16:30:00.000Z"}`, ok),
		asAdmin.remove("lessons", LB1, deleted),
		asSuperuser.list("lessons", LA1, LB1),
		asSuperuser.view("lessons", LB1, ok),
		asSuperuser.create("lessons", lesson, ok),
		asSuperuser.update("lessons", LA1, `{"status":"cancelled"}`, ok),
		asSuperuser.remove("lessons", LB1, deleted),
		// probes: the other family's lesson, moving or cancelling as a teacher
		asParentA.view("lessons", LB1, notFound),
		asParentA.listWhere("lessons", fmt.Sprintf("student.parent=%q", B)),
		asParentA.view("lessons", LA1+"?expand=lesson_private_notes_via_lesson", ok).hiding("exam fees"),
		asTeacherX.view("lessons", LB1, notFound),
		asTeacherX.update("lessons", LA1, `{"teacher_notes":"Great progress"}`, ok),
		asTeacherX.update("lessons", LA1, `{"start":"2030-03-11 16:00:00.000Z","end":"2030-03-11 16:30:00.000Z"}`, notFound),
		asTeacherX.update("lessons", LA1, `{"status":"cancelled"}`, notFound),
		asTeacherX.update("lessons", LA1, fmt.Sprintf(`{"student":%q}`, A2), notFound),
		asTeacherX.update("lessons", LA1, fmt.Sprintf(`{"teacher":%q}`, Y), notFound),
		asTeacherX.update("lessons", LB1, `{"status":"completed"}`, notFound),
		// the server writes the make-up policy's fields; a family may cancel
		// its own lesson only as the family
		asTeacherX.update("lessons", LA1, `{"cancellation_note":"forged"}`, notFound),
		asTeacherX.update("lessons", LA1, `{"cancelled_by":"family"}`, notFound),
		asParentA.update("lessons", LA1, `{"status":"cancelled","cancelled_by":"family"}`, ok),
		asParentA.update("lessons", LA1, `{"status":"cancelled","cancelled_by":"academy"}`, notFound),
		asParentA.update("lessons", LA1, `{"status":"cancelled","cancelled_by":"family","cancellation_note":"forged"}`, notFound),
		asParentA.update("lessons", LA1, `{"status":"cancelled","cancelled_by":"family","start":"2030-03-11 16:00:00.000Z"}`, notFound),
		asParentB.update("lessons", LA1, `{"status":"cancelled","cancelled_by":"family"}`, notFound),

		// lesson_private_notes: the lesson's teacher and admins only.
		asAnonymous.list("lesson_private_notes"),
		asAnonymous.view("lesson_private_notes", note, notFound),
		asAnonymous.create("lesson_private_notes", privateNote, refused),
		asAnonymous.update("lesson_private_notes", note, `{"note":"Changed"}`, notFound),
		asAnonymous.remove("lesson_private_notes", note, notFound),
		asParentA.list("lesson_private_notes"),
		asParentA.view("lesson_private_notes", note, notFound),
		asParentA.create("lesson_private_notes", privateNote, refused),
		asParentA.update("lesson_private_notes", note, `{"note":"Changed"}`, notFound),
		asParentA.remove("lesson_private_notes", note, notFound),
		asParentB.list("lesson_private_notes"),
		asParentB.view("lesson_private_notes", note, notFound),
		asParentB.create("lesson_private_notes", privateNote, refused),
		asParentB.update("lesson_private_notes", note, `{"note":"Changed"}`, notFound),
		asParentB.remove("lesson_private_notes", note, notFound),
		asTeacherX.list("lesson_private_notes", note),
		asTeacherX.view("lesson_private_notes", note, ok),
		asTeacherX.create("lesson_private_notes", privateNote, refused), // LB1 is Y's lesson
		asTeacherX.update("lesson_private_notes", note, `{"note":"Changed"}`, ok),
		asTeacherX.remove("lesson_private_notes", note, deleted),
		asTeacherY.list("lesson_private_notes"),
		asTeacherY.view("lesson_private_notes", note, notFound),
		asTeacherY.create("lesson_private_notes", privateNote, ok),
		asTeacherY.update("lesson_private_notes", note, `{"note":"Changed"}`, notFound),
		asTeacherY.remove("lesson_private_notes", note, notFound),
		asAdmin.list("lesson_private_notes", note),
		asAdmin.view("lesson_private_notes", note, ok),
		asAdmin.create("lesson_private_notes", privateNote, ok),
		asAdmin.update("lesson_private_notes", note, `{"note":"Changed"}`, ok),
		asAdmin.remove("lesson_private_notes", note, deleted),
		asSuperuser.list("lesson_private_notes", note),
		asSuperuser.view("lesson_private_notes", note, ok),
		asSuperuser.create("lesson_private_notes", privateNote, ok),
		asSuperuser.update("lesson_private_notes", note, `{"note":"Changed"}`, ok),
		asSuperuser.remove("lesson_private_notes", note, deleted),
		asTeacherX.update("lesson_private_notes", note, fmt.Sprintf(`{"lesson":%q}`, LB1), notFound),

		// pricing_plans: public+active ones are public, admins see and write all.
		asAnonymous.list("pricing_plans", f.PlanPublic),
		asAnonymous.view("pricing_plans", f.PlanHidden, notFound),
		asAnonymous.create("pricing_plans", plan, refused),
		asAnonymous.update("pricing_plans", f.PlanPublic, `{"amount":1}`, notFound),
		asAnonymous.remove("pricing_plans", f.PlanHidden, notFound),
		asParentA.list("pricing_plans", f.PlanPublic),
		asParentA.view("pricing_plans", f.PlanHidden, notFound),
		asParentA.create("pricing_plans", plan, refused),
		asParentA.update("pricing_plans", f.PlanPublic, `{"amount":1}`, notFound),
		asParentA.remove("pricing_plans", f.PlanHidden, notFound),
		asParentB.list("pricing_plans", f.PlanPublic),
		asParentB.view("pricing_plans", f.PlanHidden, notFound),
		asParentB.create("pricing_plans", plan, refused),
		asParentB.update("pricing_plans", f.PlanPublic, `{"amount":1}`, notFound),
		asParentB.remove("pricing_plans", f.PlanHidden, notFound),
		asTeacherX.list("pricing_plans", f.PlanPublic),
		asTeacherX.view("pricing_plans", f.PlanHidden, notFound),
		asTeacherX.create("pricing_plans", plan, refused),
		asTeacherX.update("pricing_plans", f.PlanPublic, `{"amount":1}`, notFound),
		asTeacherX.remove("pricing_plans", f.PlanHidden, notFound),
		asTeacherY.list("pricing_plans", f.PlanPublic),
		asTeacherY.view("pricing_plans", f.PlanHidden, notFound),
		asTeacherY.create("pricing_plans", plan, refused),
		asTeacherY.update("pricing_plans", f.PlanPublic, `{"amount":1}`, notFound),
		asTeacherY.remove("pricing_plans", f.PlanHidden, notFound),
		asAdmin.list("pricing_plans", f.PlanPublic, f.PlanHidden),
		asAdmin.view("pricing_plans", f.PlanHidden, ok),
		asAdmin.create("pricing_plans", plan, ok),
		asAdmin.update("pricing_plans", f.PlanPublic, `{"amount":15000}`, ok),
		asAdmin.remove("pricing_plans", f.PlanHidden, deleted),
		asSuperuser.list("pricing_plans", f.PlanPublic, f.PlanHidden),
		asSuperuser.view("pricing_plans", f.PlanHidden, ok),
		asSuperuser.create("pricing_plans", plan, ok),
		asSuperuser.update("pricing_plans", f.PlanPublic, `{"amount":15000}`, ok),
		asSuperuser.remove("pricing_plans", f.PlanHidden, deleted),
		asAnonymous.view("pricing_plans", f.PlanPublic, ok),

		// enrollments: the family reads its own, teachers none (billing ids),
		// admins write.
		asAnonymous.list("enrollments"),
		asAnonymous.view("enrollments", f.EnrollmentA1, notFound),
		asAnonymous.create("enrollments", enrollment, refused),
		asAnonymous.update("enrollments", f.EnrollmentA1, `{"status":"paused"}`, notFound),
		asAnonymous.remove("enrollments", f.EnrollmentA1, notFound),
		asParentA.list("enrollments", f.EnrollmentA1),
		asParentA.view("enrollments", f.EnrollmentA1, ok),
		asParentA.create("enrollments", enrollment, refused),
		asParentA.update("enrollments", f.EnrollmentA1, `{"status":"paused"}`, notFound),
		asParentA.remove("enrollments", f.EnrollmentA1, notFound),
		asParentB.list("enrollments", f.EnrollmentB1),
		asParentB.view("enrollments", f.EnrollmentB1, ok),
		asParentB.create("enrollments", enrollment, refused),
		asParentB.update("enrollments", f.EnrollmentB1, `{"status":"paused"}`, notFound),
		asParentB.remove("enrollments", f.EnrollmentB1, notFound),
		asTeacherX.list("enrollments"),
		asTeacherX.view("enrollments", f.EnrollmentA1, notFound),
		asTeacherX.create("enrollments", enrollment, refused),
		asTeacherX.update("enrollments", f.EnrollmentA1, `{"status":"paused"}`, notFound),
		asTeacherX.remove("enrollments", f.EnrollmentA1, notFound),
		asTeacherY.list("enrollments"),
		asTeacherY.view("enrollments", f.EnrollmentB1, notFound),
		asTeacherY.create("enrollments", enrollment, refused),
		asTeacherY.update("enrollments", f.EnrollmentB1, `{"status":"paused"}`, notFound),
		asTeacherY.remove("enrollments", f.EnrollmentB1, notFound),
		asAdmin.list("enrollments", f.EnrollmentA1, f.EnrollmentB1),
		asAdmin.view("enrollments", f.EnrollmentB1, ok),
		asAdmin.create("enrollments", enrollment, ok),
		asAdmin.update("enrollments", f.EnrollmentA1, `{"status":"paused"}`, ok),
		asAdmin.remove("enrollments", f.EnrollmentB1, deleted),
		asSuperuser.list("enrollments", f.EnrollmentA1, f.EnrollmentB1),
		asSuperuser.view("enrollments", f.EnrollmentB1, ok),
		asSuperuser.create("enrollments", enrollment, ok),
		asSuperuser.update("enrollments", f.EnrollmentA1, `{"status":"paused"}`, ok),
		asSuperuser.remove("enrollments", f.EnrollmentB1, deleted),
		asParentA.view("enrollments", f.EnrollmentB1, notFound),

		// payments: the family reads its own history, teachers nothing,
		// admins record; only superusers ever delete money.
		asAnonymous.list("payments"),
		asAnonymous.view("payments", f.PaymentA, notFound),
		asAnonymous.create("payments", payment, refused),
		asAnonymous.update("payments", f.PaymentA, `{"status":"refunded"}`, notFound),
		asAnonymous.remove("payments", f.PaymentA, forbidden),
		asParentA.list("payments", f.PaymentA),
		asParentA.view("payments", f.PaymentA, ok),
		asParentA.create("payments", payment, refused),
		asParentA.update("payments", f.PaymentA, `{"status":"refunded"}`, notFound),
		asParentA.remove("payments", f.PaymentA, forbidden),
		asParentB.list("payments", f.PaymentB),
		asParentB.view("payments", f.PaymentB, ok),
		asParentB.create("payments", payment, refused),
		asParentB.update("payments", f.PaymentB, `{"status":"refunded"}`, notFound),
		asParentB.remove("payments", f.PaymentB, forbidden),
		asTeacherX.list("payments"),
		asTeacherX.view("payments", f.PaymentA, notFound),
		asTeacherX.create("payments", payment, refused),
		asTeacherX.update("payments", f.PaymentA, `{"status":"refunded"}`, notFound),
		asTeacherX.remove("payments", f.PaymentA, forbidden),
		asTeacherY.list("payments"),
		asTeacherY.view("payments", f.PaymentB, notFound),
		asTeacherY.create("payments", payment, refused),
		asTeacherY.update("payments", f.PaymentB, `{"status":"refunded"}`, notFound),
		asTeacherY.remove("payments", f.PaymentB, forbidden),
		asAdmin.list("payments", f.PaymentA, f.PaymentB),
		asAdmin.view("payments", f.PaymentB, ok),
		asAdmin.create("payments", payment, forbidden), // the ledger needs /api/v1/payments/record
		asAdmin.update("payments", f.PaymentA, `{"status":"refunded"}`, forbidden),
		asAdmin.remove("payments", f.PaymentB, forbidden),
		asSuperuser.list("payments", f.PaymentA, f.PaymentB),
		asSuperuser.view("payments", f.PaymentB, ok),
		asSuperuser.create("payments", payment, forbidden),
		asSuperuser.update("payments", f.PaymentA, `{"status":"refunded"}`, forbidden),
		asSuperuser.remove("payments", f.PaymentB, forbidden),
		asParentA.view("payments", f.PaymentB, notFound),
		asParentA.listWhere("payments", fmt.Sprintf("family=%q", B)),
		asTeacherX.listWhere("payments", fmt.Sprintf("family=%q", A)),
		asTeacherX.view("enrollments", f.EnrollmentA1+"?expand=student", notFound),

		// audit_logs: superusers read them in the admin UI; the log is
		// append-only for everyone, superusers included.
		asAnonymous.listRefused("audit_logs", forbidden),
		asAnonymous.view("audit_logs", audit, forbidden),
		asAnonymous.create("audit_logs", auditEntry, forbidden),
		asAnonymous.update("audit_logs", audit, `{"action":"delete"}`, forbidden),
		asAnonymous.remove("audit_logs", audit, forbidden),
		asParentA.listRefused("audit_logs", forbidden),
		asParentA.view("audit_logs", audit, forbidden),
		asParentA.create("audit_logs", auditEntry, forbidden),
		asParentA.update("audit_logs", audit, `{"action":"delete"}`, forbidden),
		asParentA.remove("audit_logs", audit, forbidden),
		asParentB.listRefused("audit_logs", forbidden),
		asParentB.view("audit_logs", audit, forbidden),
		asParentB.create("audit_logs", auditEntry, forbidden),
		asParentB.update("audit_logs", audit, `{"action":"delete"}`, forbidden),
		asParentB.remove("audit_logs", audit, forbidden),
		asTeacherX.listRefused("audit_logs", forbidden),
		asTeacherX.view("audit_logs", audit, forbidden),
		asTeacherX.create("audit_logs", auditEntry, forbidden),
		asTeacherX.update("audit_logs", audit, `{"action":"delete"}`, forbidden),
		asTeacherX.remove("audit_logs", audit, forbidden),
		asTeacherY.listRefused("audit_logs", forbidden),
		asTeacherY.view("audit_logs", audit, forbidden),
		asTeacherY.create("audit_logs", auditEntry, forbidden),
		asTeacherY.update("audit_logs", audit, `{"action":"delete"}`, forbidden),
		asTeacherY.remove("audit_logs", audit, forbidden),
		asAdmin.listRefused("audit_logs", forbidden),
		asAdmin.view("audit_logs", audit, forbidden),
		asAdmin.create("audit_logs", auditEntry, forbidden),
		asAdmin.update("audit_logs", audit, `{"action":"delete"}`, forbidden),
		asAdmin.remove("audit_logs", audit, forbidden),
		asSuperuser.list("audit_logs", audit),
		asSuperuser.view("audit_logs", audit, ok),
		asSuperuser.create("audit_logs", auditEntry, forbidden),
		asSuperuser.update("audit_logs", audit, `{"action":"delete"}`, forbidden),
		asSuperuser.remove("audit_logs", audit, forbidden),

		// academy: the settings are public, admins change them, the one
		// record is neither created nor deleted through the API.
		asAnonymous.list("academy", academy),
		asAnonymous.view("academy", academy, ok),
		asAnonymous.create("academy", settings, forbidden),
		asAnonymous.update("academy", academy, `{"buffer_minutes":15}`, notFound),
		asAnonymous.remove("academy", academy, forbidden),
		asParentA.list("academy", academy),
		asParentA.view("academy", academy, ok),
		asParentA.create("academy", settings, forbidden),
		asParentA.update("academy", academy, `{"buffer_minutes":15}`, notFound),
		asParentA.remove("academy", academy, forbidden),
		asParentB.list("academy", academy),
		asParentB.view("academy", academy, ok),
		asParentB.create("academy", settings, forbidden),
		asParentB.update("academy", academy, `{"buffer_minutes":15}`, notFound),
		asParentB.remove("academy", academy, forbidden),
		asTeacherX.list("academy", academy),
		asTeacherX.view("academy", academy, ok),
		asTeacherX.create("academy", settings, forbidden),
		asTeacherX.update("academy", academy, `{"buffer_minutes":15}`, notFound),
		asTeacherX.remove("academy", academy, forbidden),
		asTeacherY.list("academy", academy),
		asTeacherY.view("academy", academy, ok),
		asTeacherY.create("academy", settings, forbidden),
		asTeacherY.update("academy", academy, `{"buffer_minutes":15}`, notFound),
		asTeacherY.remove("academy", academy, forbidden),
		asAdmin.list("academy", academy),
		asAdmin.view("academy", academy, ok),
		asAdmin.create("academy", settings, forbidden),
		asAdmin.update("academy", academy, `{"buffer_minutes":15}`, ok),
		asAdmin.remove("academy", academy, forbidden),
		asSuperuser.list("academy", academy),
		asSuperuser.view("academy", academy, ok),
		asSuperuser.create("academy", settings, ok),
		asSuperuser.update("academy", academy, `{"buffer_minutes":15}`, ok),
		asSuperuser.remove("academy", academy, deleted),
	}
	return rows
}

// TestRoleMatrixV1 asks the seed's /api/v1 routes the same questions about
// students and availability. The decisions must match the records API
// (both read the collection rules); the statuses follow the routes' own
// conventions: 401 without a token, 404 for what the caller cannot see,
// 403 for what it can see but may not change, DELETE = soft delete.
func TestRoleMatrixV1(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	all := matrixUniverse(f, "")
	cells := v1Matrix(f)
	for i := range cells {
		cells[i].api = apiV1
	}
	runMatrix(t, f, all, cells)
}

func v1Matrix(f *testapp.Fixtures) []matrixCell {
	const (
		ok           = 200
		created      = 201
		deleted      = 204
		refused      = 400
		unauthorized = 401
		forbidden    = 403
		notFound     = 404
	)
	var (
		A, B   = f.ParentA.ID, f.ParentB.ID
		X, Y   = f.TeacherX, f.TeacherY
		A1, A2 = f.StudentA1, f.StudentA2
		ADel   = f.StudentADeleted
		B1     = f.StudentB1
	)
	child := func(parent string) string {
		return fmt.Sprintf(`{"parent":%q,"first_name":"Nia","last_name":"Nguyen","status":"prospect"}`, parent)
	}
	notes := `{"notes":"Prefers mornings"}`
	week := `{"windows":[{"weekday":2,"start_time":"09:00","end_time":"12:00"},{"weekday":4,"start_time":"14:00","end_time":"18:00"}]}`

	return []matrixCell{
		// students: as in the records API; soft-deleted students are left
		// out of every list unless an admin asks for them.
		asAnonymous.listRefused("students", unauthorized),
		asAnonymous.view("students", A1, unauthorized),
		asAnonymous.create("students", child(A), unauthorized),
		asAnonymous.update("students", A1, notes, unauthorized),
		asAnonymous.remove("students", A1, unauthorized),
		asParentA.list("students", A1, A2),
		asParentA.view("students", A1, ok),
		asParentA.create("students", child(A), created),
		asParentA.update("students", A1, notes, ok),
		asParentA.remove("students", A2, deleted),
		asParentB.list("students", B1),
		asParentB.view("students", B1, ok),
		asParentB.create("students", child(B), created),
		asParentB.update("students", B1, notes, ok),
		asParentB.remove("students", B1, deleted),
		asTeacherX.list("students", A1),
		asTeacherX.view("students", A1, ok),
		asTeacherX.create("students", child(A), forbidden),
		asTeacherX.update("students", A1, notes, forbidden),
		asTeacherX.remove("students", A1, forbidden),
		asTeacherY.list("students", B1),
		asTeacherY.view("students", B1, ok),
		asTeacherY.create("students", child(B), forbidden),
		asTeacherY.update("students", B1, notes, forbidden),
		asTeacherY.remove("students", B1, forbidden),
		asAdmin.list("students", A1, A2, B1),
		asAdmin.view("students", ADel, ok),
		asAdmin.create("students", child(A), created),
		asAdmin.update("students", A1, `{"status":"paused"}`, ok),
		asAdmin.remove("students", B1, deleted),
		asSuperuser.list("students", A1, A2, B1),
		asSuperuser.view("students", ADel, ok),
		asSuperuser.create("students", child(B), created),
		asSuperuser.update("students", B1, `{"status":"paused"}`, ok),
		asSuperuser.remove("students", A1, deleted),
		// probes: the other family by id, by query, by soft-deleted rows;
		// the academy's fields; restore
		asParentA.view("students", B1, notFound),
		asParentA.view("students", ADel, notFound),
		asParentA.listWhere("students", "parent="+B),
		asParentA.listWhere("students", "q=Ben"),
		asParentA.listWhere("students", "include_deleted=1", A1, A2),
		asAdmin.listWhere("students", "include_deleted=1", A1, A2, ADel, B1),
		asParentA.create("students", child(B), forbidden),
		asParentA.create("students", fmt.Sprintf(`{"parent":%q,"first_name":"Nia","last_name":"N","status":"active"}`, A), forbidden),
		asParentA.create("students", `{"first_name":"Nia","last_name":"N"}`, refused),
		asParentA.update("students", B1, notes, notFound),
		asParentA.update("students", A1, `{"status":"active"}`, forbidden),
		asParentA.update("students", A1, fmt.Sprintf(`{"parent":%q}`, B), forbidden),
		asParentA.remove("students", B1, notFound),
		asParentA.remove("students", ADel, notFound),
		asTeacherX.view("students", B1, notFound),
		asTeacherX.view("students", A2, notFound),
		asTeacherX.listWhere("students", "parent="+B),
		asAdmin.restore(ADel, ok),
		asSuperuser.restore(ADel, ok),
		asParentA.restore(ADel, notFound),
		asTeacherX.restore(A1, forbidden),

		// a teacher's week: the teacher itself or an admin replaces it.
		asAnonymous.replaceWeek(X, week, unauthorized),
		asParentA.replaceWeek(X, week, forbidden),
		asParentB.replaceWeek(Y, week, forbidden),
		asTeacherX.replaceWeek(X, week, ok),
		asTeacherY.replaceWeek(Y, week, ok),
		asAdmin.replaceWeek(X, week, ok),
		asSuperuser.replaceWeek(Y, week, ok),
		// probes: another teacher's week, a hidden teacher's, an unknown one
		asTeacherX.replaceWeek(Y, week, forbidden),
		asTeacherY.replaceWeek(X, week, forbidden),
		asTeacherX.replaceWeek(f.TeacherHidden, week, forbidden),
		asAnonymous.replaceWeek(f.TeacherHidden, week, unauthorized),
		asAdmin.replaceWeek("nosuchteacher01", week, notFound),
	}
}

// roleIs checks the role of the account a create row made.
func roleIs(want string) func(t testing.TB, app core.App, res map[string]any) {
	return func(t testing.TB, app core.App, res map[string]any) {
		t.Helper()
		id, _ := res["id"].(string)
		r, err := app.FindRecordById("users", id)
		if err != nil {
			t.Fatalf("created user %q not found: %v", id, err)
		}
		if got := r.GetString("role"); got != want {
			t.Errorf("created user's role = %q, want %q", got, want)
		}
	}
}

// storedIs checks a field's stored value after the request.
func storedIs(coll, id, field, want string) func(t testing.TB, app core.App, res map[string]any) {
	return func(t testing.TB, app core.App, res map[string]any) {
		t.Helper()
		r, err := app.FindRecordById(coll, id)
		if err != nil {
			t.Fatalf("%s/%s: %v", coll, id, err)
		}
		if got := r.GetString(field); got != want {
			t.Errorf("%s/%s.%s = %q, want %q", coll, id, field, got, want)
		}
	}
}
