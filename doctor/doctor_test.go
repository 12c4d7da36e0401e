package doctor_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
	"cedarheights/doctor"
	"cedarheights/internal/testapp"
	"cedarheights/wiring"
)

func TestMain(m *testing.M) { os.Exit(testapp.RunMain(m)) }

func check(t *testing.T, app core.App) doctor.Report {
	t.Helper()
	rep, err := doctor.Check(app, doctor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func logFindings(t *testing.T, rep doctor.Report) {
	t.Helper()
	for _, f := range rep.Findings {
		t.Logf("%s %s %v %s", f.Severity, f.Code, f.IDs, f.Message)
	}
}

func TestCleanFixtureHasNoViolations(t *testing.T) {
	app, _ := cleanApp(t)
	rep := check(t, app)
	if rep.Violations != 0 || rep.Attention != 0 {
		logFindings(t, rep)
		t.Fatalf("%d violations, %d attention in the clean fixture", rep.Violations, rep.Attention)
	}
	if rep.Counts["lessons"] != 2 || rep.Counts["ledger_entries"] != 2 {
		t.Errorf("counts %v: want the fixture's 2 lessons and 2 ledger entries", rep.Counts)
	}
}

// The fixture template writes its two settled payments with app.Save and
// no ledger entry; doctor names both (billing's reconciliation check).
func TestFixturePaymentsLackLedger(t *testing.T) {
	app, f := testapp.New(t, wiring.WithoutEngine())
	rep := check(t, app)
	var got []string
	for _, x := range rep.Findings {
		got = append(got, x.Code+" "+x.IDs[0])
	}
	slices.Sort(got)
	want := []string{"money_payment_in_ledger payments:" + f.PaymentA, "money_payment_in_ledger payments:" + f.PaymentB}
	slices.Sort(want)
	if !slices.Equal(got, want) || rep.Violations != 2 {
		logFindings(t, rep)
		t.Fatalf("findings %v, want %v", got, want)
	}
}

// breaker breaks one invariant in a clean academy and names the records
// the finding must list.
type breaker func(t *testing.T, app core.App, f *testapp.Fixtures) []string

func TestEachInvariantFails(t *testing.T) {
	week := testapp.NextMonday() // lesson A1: teacher X, student A1, the room, 16:00–16:30
	now := dbt(time.Now())
	cases := []struct {
		code      string
		severity  doctor.Severity
		unsettled bool // the case settles the fixture's payments itself
		breaks    breaker
	}{
		{"lesson_overlap_teacher", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			l := lesson(t, app, pianoX(f, week.Add(time.Hour)))
			// 16:35: after A1's end, inside the 10-minute buffer.
			raw(t, app, "UPDATE lessons SET start = {:s}, [[end]] = {:e} WHERE id = {:id}",
				dbx.Params{"s": dbt(week.Add(35 * time.Minute)), "e": dbt(week.Add(65 * time.Minute)), "id": l})
			return []string{ref("lessons", f.LessonA1), ref("lessons", l), ref("teachers", f.TeacherX)}
		}},
		{"lesson_overlap_student", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			mondaysForY(t, app, f)
			l := lesson(t, app, map[string]any{"teacher": f.TeacherY, "student": f.StudentA2, "instrument": f.Violin, "start": week, "end": week.Add(30 * time.Minute)})
			raw(t, app, "UPDATE lessons SET student = {:s} WHERE id = {:id}", dbx.Params{"s": f.StudentA1, "id": l})
			return []string{ref("lessons", f.LessonA1), ref("lessons", l), ref("students", f.StudentA1)}
		}},
		{"lesson_overlap_room", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			mondaysForY(t, app, f)
			l := lesson(t, app, map[string]any{"teacher": f.TeacherY, "student": f.StudentA2, "instrument": f.Violin, "start": week, "end": week.Add(30 * time.Minute)})
			raw(t, app, "UPDATE lessons SET room = {:r} WHERE id = {:id}", dbx.Params{"r": f.Room, "id": l})
			return []string{ref("lessons", f.LessonA1), ref("lessons", l), ref("rooms", f.Room)}
		}},
		{"lesson_outside_availability", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			l := lesson(t, app, pianoX(f, week.Add(time.Hour)))
			raw(t, app, "UPDATE lessons SET start = {:s}, [[end]] = {:e} WHERE id = {:id}",
				dbx.Params{"s": dbt(week.Add(3 * time.Hour)), "e": dbt(week.Add(210 * time.Minute)), "id": l})
			return []string{ref("lessons", l), ref("teachers", f.TeacherX)}
		}},
		{"lesson_school_closed", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			// The closure (written before A1 was booked) now covers A1.
			raw(t, app, "UPDATE closures SET start = {:s}, [[end]] = {:e} WHERE id = {:id}",
				dbx.Params{"s": dbt(week.Add(-time.Hour)), "e": dbt(week.Add(time.Hour)), "id": f.Closure})
			return []string{ref("lessons", f.LessonA1), ref("closures", f.Closure)}
		}},
		{"lesson_school_closed", doctor.Attention, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			// A lesson held two weeks ago; a closure over that day added after.
			held := week.AddDate(0, 0, -14).Add(time.Hour)
			l := lesson(t, app, mergeMap(pianoX(f, held), map[string]any{"status": "completed"}))
			time.Sleep(5 * time.Millisecond) // the closure is written after, at a later millisecond
			c := save(t, app, "closures", map[string]any{"name": "Flood", "start": held.Add(-2 * time.Hour), "end": held.Add(4 * time.Hour)})
			return []string{ref("lessons", l), ref("closures", c)}
		}},
		{"lesson_teacher_time_off", doctor.Attention, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			off := save(t, app, "time_off", map[string]any{"teacher": f.TeacherX, "start": week.Add(-time.Hour), "end": week.Add(time.Hour), "reason": "Sick"})
			return []string{ref("lessons", f.LessonA1), ref("time_off", off)}
		}},
		{"lesson_teacher_time_off", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			raw(t, app, "UPDATE time_off SET start = {:s}, [[end]] = {:e} WHERE id = {:id}",
				dbx.Params{"s": dbt(week.Add(-time.Hour)), "e": dbt(week.Add(time.Hour)), "id": f.TimeOffX})
			return []string{ref("lessons", f.LessonA1), ref("time_off", f.TimeOffX)}
		}},
		{"lesson_attended_in_future", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			raw(t, app, "UPDATE lessons SET status = 'completed' WHERE id = {:id}", dbx.Params{"id": f.LessonA1})
			return []string{ref("lessons", f.LessonA1)}
		}},
		{"lesson_cancellation_fields_on_live", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			raw(t, app, "UPDATE lessons SET cancelled_by = 'family' WHERE id = {:id}", dbx.Params{"id": f.LessonA1})
			return []string{ref("lessons", f.LessonA1)}
		}},
		{"lesson_cancellation_incomplete", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			cancel(t, app, f.LessonB1)
			raw(t, app, "UPDATE lessons SET cancellation_note = '' WHERE id = {:id}", dbx.Params{"id": f.LessonB1})
			return []string{ref("lessons", f.LessonB1)}
		}},
		{"lesson_bad_span", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			raw(t, app, "UPDATE lessons SET [[end]] = {:e} WHERE id = {:id}", dbx.Params{"e": dbt(week.Add(-30 * time.Minute)), "id": f.LessonA1})
			return []string{ref("lessons", f.LessonA1)}
		}},
		{"makeup_credit_not_allowed", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			c := cancel(t, app, f.LessonB1)
			raw(t, app, "UPDATE lessons SET cancelled_by = 'family', cancellation_note = 'no make-up credit: late cancellation: 2h ahead, policy needs 24h' WHERE id = {:id}",
				dbx.Params{"id": f.LessonB1})
			return []string{ref("makeup_credits", c), ref("lessons", f.LessonB1)}
		}},
		{"makeup_credit_without_cancellation", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			c := cancel(t, app, f.LessonB1)
			raw(t, app, "UPDATE lessons SET status = 'scheduled', cancelled_by = '', cancelled_at = '', cancellation_note = '' WHERE id = {:id}",
				dbx.Params{"id": f.LessonB1})
			return []string{ref("makeup_credits", c), ref("lessons", f.LessonB1)}
		}},
		{"makeup_credit_spent_twice", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			c1 := cancel(t, app, f.LessonB1)
			b2 := lesson(t, app, violinB(f, week.Add(43*time.Hour).AddDate(0, 0, 7)))
			c2 := cancel(t, app, b2)
			m := lesson(t, app, mergeMap(violinB(f, week.Add(43*time.Hour).AddDate(0, 0, 14)), map[string]any{"kind": "makeup"}))
			raw(t, app, "UPDATE makeup_credits SET used_by = {:m} WHERE id IN ({:c1}, {:c2})", dbx.Params{"m": m, "c1": c1, "c2": c2})
			return []string{ref("lessons", m), ref("makeup_credits", c1), ref("makeup_credits", c2)}
		}},
		{"makeup_lesson_without_credit", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			c := cancel(t, app, f.LessonB1)
			m := lesson(t, app, mergeMap(violinB(f, week.Add(43*time.Hour).AddDate(0, 0, 14)), map[string]any{"kind": "makeup"}))
			raw(t, app, "UPDATE makeup_credits SET used_by = '' WHERE id = {:c}", dbx.Params{"c": c})
			return []string{ref("lessons", m)}
		}},
		{"makeup_credit_spent_and_revoked", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			c := cancel(t, app, f.LessonB1)
			m := lesson(t, app, mergeMap(violinB(f, week.Add(43*time.Hour).AddDate(0, 0, 14)), map[string]any{"kind": "makeup"}))
			raw(t, app, "UPDATE makeup_credits SET revoked_at = {:now} WHERE id = {:c}", dbx.Params{"c": c, "now": now})
			return []string{ref("makeup_credits", c), ref("lessons", m)}
		}},
		{"money_payment_entry_duplicated", doctor.Violation, true, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			ledger(t, app, map[string]any{"family": f.ParentA.ID, "kind": "payment", "amount": -14000, "payment": f.PaymentA, "source_key": "pi:pi_a:payment"})
			// Two halves: the sum reconciles, the count does not.
			for _, k := range []string{"1", "2"} {
				ledger(t, app, map[string]any{"family": f.ParentB.ID, "kind": "payment", "amount": -2500, "payment": f.PaymentB, "source_key": "half:" + k})
			}
			return []string{ref("payments", f.PaymentB)}
		}},
		{"money_entry_wrong_family", doctor.Violation, true, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			ledger(t, app, map[string]any{"family": f.ParentA.ID, "kind": "payment", "amount": -14000, "payment": f.PaymentA, "source_key": "pi:pi_a:payment"})
			e := ledger(t, app, map[string]any{"family": f.ParentA.ID, "kind": "payment", "amount": -5000, "payment": f.PaymentB, "source_key": "b"})
			return []string{ref("ledger_entries", e), ref("payments", f.PaymentB), ref("users", f.ParentA.ID), ref("users", f.ParentB.ID)}
		}},
		{"money_refunds_exceed_payment", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			ledger(t, app, map[string]any{"family": f.ParentB.ID, "kind": "refund", "amount": 6000, "payment": f.PaymentB, "source_key": "refund:b"})
			raw(t, app, "UPDATE payments SET amount_refunded = 6000 WHERE id = {:id}", dbx.Params{"id": f.PaymentB})
			return []string{ref("payments", f.PaymentB), ref("users", f.ParentB.ID)}
		}},
		// A bank disputing the full payment after a refund: the ledger is
		// right, the admins answer it. A refund after the dispute is not.
		{"money_dispute_exceeds_unrefunded", doctor.Attention, false, refundAndDispute(time.Minute)},
		{"money_refunds_and_chargebacks_exceed_payment", doctor.Violation, false, refundAndDispute(-time.Minute)},
		{"money_entry_sign", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			e := ledger(t, app, map[string]any{"family": f.ParentB.ID, "kind": "refund", "amount": -100, "source_key": "refund:neg"})
			return []string{ref("ledger_entries", e)}
		}},
		{"money_ledger_entry_altered", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			e := ledger(t, app, map[string]any{"family": f.ParentA.ID, "kind": "charge", "amount": 14000, "source_key": "charge:a"})
			raw(t, app, "DROP TRIGGER ledger_entries_no_update", nil)
			raw(t, app, "UPDATE ledger_entries SET amount = 1400 WHERE id = {:id}", dbx.Params{"id": e})
			return []string{ref("ledger_entries", e), ref("users", f.ParentA.ID)}
		}},
		{"lesson_length_not_offered", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			raw(t, app, "UPDATE lessons SET [[end]] = {:e} WHERE id = {:id}", dbx.Params{"e": dbt(week.Add(40 * time.Minute)), "id": f.LessonA1})
			return []string{ref("lessons", f.LessonA1), ref("teachers", f.TeacherX)}
		}},
		{"lesson_instrument_not_taught", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			raw(t, app, "UPDATE lessons SET instrument = {:i} WHERE id = {:id}", dbx.Params{"i": f.Violin, "id": f.LessonA1})
			return []string{ref("lessons", f.LessonA1), ref("teachers", f.TeacherX)}
		}},
		{"makeup_credit_wrong_student", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			c := cancel(t, app, f.LessonB1)
			raw(t, app, "UPDATE makeup_credits SET student = {:s} WHERE id = {:c}", dbx.Params{"s": f.StudentA1, "c": c})
			return []string{ref("makeup_credits", c), ref("lessons", f.LessonB1)}
		}},
		{"makeup_credit_spent_wrongly", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			c := cancel(t, app, f.LessonB1)
			raw(t, app, "UPDATE makeup_credits SET used_by = {:l} WHERE id = {:c}", dbx.Params{"l": f.LessonA1, "c": c})
			return []string{ref("makeup_credits", c), ref("lessons", f.LessonA1)}
		}},
		{"makeup_credit_spent_on_missing_lesson", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			c := cancel(t, app, f.LessonB1)
			raw(t, app, "UPDATE makeup_credits SET used_by = 'gone00000000000' WHERE id = {:c}", dbx.Params{"c": c})
			return []string{ref("makeup_credits", c), ref("lessons", "gone00000000000")}
		}},
		{"workflow_run_sleeping_without_timer", doctor.Violation, false, runRow("sleeping", "", "", "")},
		{"workflow_run_waiting_without_event", doctor.Violation, false, runRow("waiting", "", "", "")},
		{"workflow_run_lease_expired", doctor.Attention, false, runRow("running", "host:1:n/1/x", dbt(time.Now().Add(-time.Hour)), "")},
		{"workflow_run_finished_without_time", doctor.Violation, false, runRow("completed", "", "", "")},
		{"workflow_run_finished_with_lease", doctor.Violation, false, runRow("completed", "host:1:n/1/x", dbt(time.Now().Add(time.Hour)), now)},
		{"workflow_run_dead_letter", doctor.Attention, false, runRow("dead_letter", "", "", now)},
		{"workflow_run_version_missing", doctor.Attention, false, runRow("version_missing", "", "", "")},
		{"outbox_retry_without_reason", doctor.Violation, false, outboxRow("pending", 2, "", time.Now())},
		{"outbox_sent_without_time", doctor.Violation, false, outboxRow("sent", 1, "", time.Now())},
		{"outbox_failed_without_reason", doctor.Violation, false, outboxRow("failed", 3, "", time.Now())},
		{"outbox_failed", doctor.Attention, false, outboxRow("failed", 5, "550 mailbox unavailable", time.Now())},
		{"outbox_overdue", doctor.Attention, false, outboxRow("pending", 0, "", time.Now().Add(-2*time.Hour))},
		{"student_teachers_out_of_step", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			raw(t, app, "DELETE FROM student_teachers WHERE student = {:s}", dbx.Params{"s": f.StudentA1})
			return []string{ref("students", f.StudentA1), ref("users", f.TeacherXUser.ID)}
		}},
		{"student_teachers_out_of_step", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			raw(t, app, "INSERT INTO student_teachers (teacher_user, student) VALUES ({:u}, {:s})", dbx.Params{"u": f.TeacherXUser.ID, "s": f.StudentB1})
			return []string{ref("students", f.StudentB1), ref("users", f.TeacherXUser.ID)}
		}},
		{"student_teachers_trigger_missing", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			raw(t, app, "DROP TRIGGER student_teachers_update", nil)
			return []string{"triggers:student_teachers_update"}
		}},
		{"audit_missing_create", doctor.Violation, false, func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
			// Its own now: the check skips records older than the app's migrations,
			// and the app was made after the table's now (alone, with -run, the
			// fixture template is too).
			id, created := newID("i"), dbt(time.Now())
			raw(t, app, "INSERT INTO instruments (id, name, active, created, updated) VALUES ({:id}, 'Kazoo', 1, {:now}, {:now})", dbx.Params{"id": id, "now": created})
			return []string{ref("instruments", id)}
		}},
	}
	for _, c := range cases {
		t.Run(c.code+"_"+string(c.severity), func(t *testing.T) {
			var app core.App
			var f *testapp.Fixtures
			if c.unsettled {
				a, fx := testapp.New(t, wiring.WithoutEngine())
				app, f = a, fx
			} else {
				a, fx := cleanApp(t)
				app, f = a, fx
			}
			want := c.breaks(t, app, f)
			rep := check(t, app)
			var found []doctor.Finding
			for _, x := range rep.Findings {
				if x.Code == c.code {
					found = append(found, x)
				}
			}
			wantViolations := 0
			if c.severity == doctor.Violation {
				wantViolations = 1
			}
			if len(found) != 1 || found[0].Severity != c.severity || !sameSet(found[0].IDs, want) || rep.Violations != wantViolations {
				logFindings(t, rep)
				t.Fatalf("want exactly one %s %s naming %v (and %d violation in all)", c.severity, c.code, want, wantViolations)
			}
			_, firstID, _ := strings.Cut(want[0], ":")
			if !strings.Contains(found[0].Message, firstID) {
				t.Errorf("the message %q does not name %s", found[0].Message, want[0])
			}
		})
	}
}

func runRow(status, leaseOwner, leaseUntil, finished string) breaker {
	return func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
		id := newID("r")
		raw(t, app, `INSERT INTO workflow_runs (id, name, version, status, lease_owner, lease_until, finished, created, updated)
			VALUES ({:id}, 'test', 1, {:status}, {:owner}, {:until}, {:finished}, {:now}, {:now})`,
			dbx.Params{"id": id, "status": status, "owner": leaseOwner, "until": leaseUntil, "finished": finished, "now": dbt(time.Now())})
		return []string{ref("workflow_runs", id)}
	}
}

func outboxRow(status string, attempts int, reason string, created time.Time) breaker {
	return func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
		id := newID("o")
		raw(t, app, `INSERT INTO email_outbox (id, [[to]], subject, status, attempts, failed_reason, idempotency_key, created, updated)
			VALUES ({:id}, 'a@example.com', 'Hello', {:status}, {:attempts}, {:reason}, {:id}, {:now}, {:now})`,
			dbx.Params{"id": id, "status": status, "attempts": attempts, "reason": reason, "now": dbt(created)})
		return []string{ref("email_outbox", id)}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func mergeMap(a, b map[string]any) map[string]any {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// violinB is a 60-minute violin lesson of teacher Y with student B1.
func violinB(f *testapp.Fixtures, start time.Time) map[string]any {
	return map[string]any{"teacher": f.TeacherY, "student": f.StudentB1, "instrument": f.Violin,
		"start": start, "end": start.Add(time.Hour)}
}

// With a Stripe key the money group runs billing's reconciliation against
// Stripe too: a card payment the ledger holds and Stripe does not is named.
func TestLedgerComparedWithStripe(t *testing.T) {
	app, f := cleanApp(t)
	stub := stripestub.New(t)
	billing.Use(app, billing.Config{SecretKey: "sk_test_stub", APIBase: stub.URL})
	rep := check(t, app)
	want := []string{"stripe:pi_a", ref("users", f.ParentA.ID)}
	if rep.Violations != 1 || rep.Findings[0].Code != "money_payment_in_stripe" || !sameSet(rep.Findings[0].IDs, want) {
		logFindings(t, rep)
		t.Fatalf("want one money_payment_in_stripe naming %v", want)
	}
	if rep.Counts["stripe_charges"] != 0 {
		t.Errorf("counts %v", rep.Counts)
	}
}

// A lesson over the 3-hour bound cannot break that rule alone: no teacher
// offers such a length, and it overruns the afternoon's availability.
func TestLessonTooLong(t *testing.T) {
	app, f := cleanApp(t)
	week := testapp.NextMonday()
	raw(t, app, "UPDATE lessons SET [[end]] = {:e} WHERE id = {:id}", dbx.Params{"e": dbt(week.Add(4 * time.Hour)), "id": f.LessonA1})
	rep := check(t, app)
	var codes []string
	for _, x := range rep.Findings {
		codes = append(codes, x.Code)
	}
	if !sameSet(codes, []string{"lesson_too_long", "lesson_length_not_offered", "lesson_outside_availability"}) {
		logFindings(t, rep)
		t.Fatalf("codes %v", codes)
	}
}

// A window edited in place (its hours, not its teacher) leaves an audit
// entry without a teacher change; doctor read that as a NULL teacher and
// could not finish (found by the HTTP fuzz driver).
func TestAvailabilityEditedInPlace(t *testing.T) {
	app, f := cleanApp(t)
	window := testapp.Record(t, app, "availability", f.AvailabilityX)
	window.Set("end_time", "20:00")
	if err := app.Save(window); err != nil {
		t.Fatal(err)
	}
	if rep := check(t, app); rep.Violations != 0 {
		logFindings(t, rep)
		t.Fatalf("%d violations after widening a window", rep.Violations)
	}
}

// refundAndDispute refunds 1000 of payment B (5000) and has the bank take
// all of it back in a dispute, dispute after the refund when it is
// positive, before it when negative.
func refundAndDispute(disputeAfter time.Duration) breaker {
	return func(t *testing.T, app core.App, f *testapp.Fixtures) []string {
		refunded := time.Now().UTC()
		ledger(t, app, map[string]any{"family": f.ParentB.ID, "kind": "refund", "amount": 1000, "payment": f.PaymentB, "source_key": "refund:b", "occurred_at": refunded})
		ledger(t, app, map[string]any{"family": f.ParentB.ID, "kind": "chargeback", "amount": 5000, "payment": f.PaymentB, "source_key": "dispute:b", "occurred_at": refunded.Add(disputeAfter)})
		raw(t, app, "UPDATE payments SET amount_refunded = 1000, status = 'disputed' WHERE id = {:id}", dbx.Params{"id": f.PaymentB})
		return []string{ref("payments", f.PaymentB), ref("users", f.ParentB.ID)}
	}
}
