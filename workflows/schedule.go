package workflows

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/cron"
)

// schedule.go: cron schedules that fire once per slot, across restarts.
// PocketBase's cron runs a job when the current minute matches and
// forgets a minute the process was down for; here the last fired slot is
// kept in workflow_schedules, and each tick fires the latest due slot
// after it in the same transaction that moves last_slot on (its run's
// idempotency key is the slot), so a slot fires exactly once and a missed
// slot catches up once the server is back.

// Slot is a schedule's firing time. Previous is the slot fired before it
// (zero on a schedule's first run): when the server was down over several
// slots only the latest fires, and [Previous, Time) is the gap it covers.
type Slot struct {
	Time     time.Time
	Previous time.Time
}

type schedule struct {
	name     string
	expr     string
	workflow string
	parsed   *cron.Schedule
	start    func(tx core.App, slot Slot, key string) (*Run, error)
}

// Schedule fires wf at every slot of cronExpr (five fields or a macro such
// as @hourly, in UTC); input builds the run's input from the slot. It
// returns an error for an invalid expression or a name used twice.
func Schedule[In, S any](r *Registry, name, cronExpr string, wf *Workflow[In, S], input func(Slot) In) error {
	parsed, err := cron.NewSchedule(cronExpr)
	if err != nil {
		return fmt.Errorf("schedule %s: %w", name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.schedules {
		if s.name == name {
			return fmt.Errorf("schedule %s is already registered", name)
		}
	}
	r.schedules = append(r.schedules, &schedule{
		name: name, expr: cronExpr, workflow: wf.name, parsed: parsed,
		start: func(tx core.App, slot Slot, key string) (*Run, error) {
			return Start(tx, wf, input(slot), StartOptions{IdempotencyKey: key, Subject: "schedule:" + name})
		},
	})
	return nil
}

// MustSchedule is Schedule that panics on error (for init functions).
func MustSchedule[In, S any](r *Registry, name, cronExpr string, wf *Workflow[In, S], input func(Slot) In) {
	if err := Schedule(r, name, cronExpr, wf, input); err != nil {
		panic(err)
	}
}

func (r *Registry) scheduleList() []*schedule {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]*schedule(nil), r.schedules...)
}

// scheduleLoop fires due slots now and then a second after every minute.
func (e *Engine) scheduleLoop(ctx context.Context) {
	for {
		if _, err := e.RunSchedules(time.Now()); err != nil {
			e.log.Error("workflows: schedules failed", "error", err)
		}
		next := time.Now().Truncate(time.Minute).Add(time.Minute + time.Second)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
	}
}

// maxCatchUp bounds how far back a schedule looks for a missed slot.
const maxCatchUp = 366 * 24 * time.Hour

// RunSchedules fires, for every schedule, the latest slot at or before now
// that has not fired yet, and returns the runs started. The engine calls
// it every minute; tests call it with the time they need.
func (e *Engine) RunSchedules(now time.Time) ([]*Run, error) {
	var started []*Run
	var errs []error
	for _, s := range e.reg.scheduleList() {
		run, err := e.fireSchedule(s, now.UTC())
		if err != nil {
			errs = append(errs, fmt.Errorf("schedule %s: %w", s.name, err))
		}
		if run != nil {
			started = append(started, run)
		}
	}
	return started, errors.Join(errs...)
}

func (e *Engine) fireSchedule(s *schedule, now time.Time) (*Run, error) {
	var started *Run
	err := e.app.RunInTransaction(func(tx core.App) error {
		var row struct {
			ID       string `db:"id"`
			LastSlot string `db:"last_slot"`
		}
		current := now.Truncate(time.Minute)
		err := tx.DB().Select("id", "last_slot").From(schedulesTable).Where(dbx.HashExp{"name": s.name}).One(&row)
		if errors.Is(err, sql.ErrNoRows) {
			// First sight: nothing before now was missed.
			row.ID = core.GenerateDefaultRandomId()
			row.LastSlot = fmtTime(current.Add(-time.Minute))
			_, err = tx.DB().Insert(schedulesTable, dbx.Params{
				"id": row.ID, "name": s.name, "cron": s.expr, "workflow": s.workflow,
				"last_slot": row.LastSlot, "last_run": "", "created": fmtTime(now), "updated": fmtTime(now),
			}).Execute()
		}
		if err != nil {
			return err
		}
		last := parseTime(row.LastSlot)
		slot := latestDue(s.parsed, last, current)
		if slot.IsZero() {
			return nil
		}
		run, err := s.start(tx, Slot{Time: slot, Previous: last}, "schedule:"+s.name+":"+fmtTime(slot))
		if err != nil {
			return err
		}
		res, err := tx.DB().Update(schedulesTable, dbx.Params{
			"last_slot": fmtTime(slot), "last_run": run.ID, "cron": s.expr, "workflow": s.workflow, "updated": fmtTime(now),
		}, dbx.HashExp{"id": row.ID, "last_slot": row.LastSlot}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errors.New("another process fired this slot")
		}
		started = run
		return nil
	})
	return started, err
}

// latestDue is the latest minute in (after, upTo] the schedule matches, or
// zero.
func latestDue(s *cron.Schedule, after, upTo time.Time) time.Time {
	floor := after
	if upTo.Sub(floor) > maxCatchUp {
		floor = upTo.Add(-maxCatchUp)
	}
	for t := upTo; t.After(floor); t = t.Add(-time.Minute) {
		if s.IsDue(cron.NewMoment(t)) {
			return t
		}
	}
	return time.Time{}
}
