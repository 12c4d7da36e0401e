package workflows

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// lease.go: a run is executed by the engine whose lease token sits in
// lease_owner while lease_until is in the future. A token is the engine's
// owner id (host:pid:nonce: the nonce makes it unique, host and pid tell an
// operator where it ran), a claim sequence number and the run id, so every
// claim has its own. Claims are conditional UPDATEs, so two engines
// never both win; every checkpoint is fenced on the token (store.go
// saveRun), so a worker whose lease expired and was claimed again (by
// anyone, itself included) cannot commit.

// dueCondition selects the runs that need an executor now.
const dueCondition = `((status IN ('pending','running') AND (lease_owner = '' OR lease_until < {:now}))
	OR (status IN ('sleeping','waiting') AND wake_at != '' AND wake_at <= {:now}))`

const claimSet = `lease_owner = {:token} || id, lease_until = {:until},
	status = CASE WHEN status IN ('pending','sleeping','waiting') THEN 'running' ELSE status END,
	started = CASE WHEN started = '' THEN {:now} ELSE started END,
	updated = {:now}`

func (e *Engine) claimParams(now time.Time) dbx.Params {
	return dbx.Params{"token": e.tokenPrefix(), "now": fmtTime(now), "until": fmtTime(now.Add(e.opts.Lease))}
}

// tokenPrefix is a fresh "owner/seq/"; a run's token appends its id.
func (e *Engine) tokenPrefix() string {
	return e.owner + "/" + strconv.FormatUint(e.claims.Add(1), 10) + "/"
}

// openRuns selects the runs that have not ended, the only ones that hold
// leases (every end clears the lease with the status): an index range on
// status, where lease_owner has no index of its own (a run's lease is
// rewritten at its start and end; migration 1764970000).
const openRuns = "status IN ('pending','running','sleeping','waiting')"

// foreignLeases are the leases of other processes than owner's.
func foreignLeases(owner string) dbx.Expression {
	return dbx.And(dbx.NewExp(openRuns), dbx.NewExp("lease_owner != ''"), dbx.Not(ownerRange(owner)))
}

// ownLeases are owner's leases.
func ownLeases(owner string) dbx.Expression {
	return dbx.And(dbx.NewExp(openRuns), ownerRange(owner))
}

// ownerRange selects the tokens of an owner (an index range, not a LIKE).
func ownerRange(owner string) dbx.Expression {
	return dbx.NewExp("lease_owner >= {:lo} AND lease_owner < {:hi}", dbx.Params{"lo": owner + "/", "hi": owner + "0"})
}

// claim takes the lease of one due run; nil when it is not due (anymore).
func (e *Engine) claim(id string) (*Run, error) {
	now := time.Now()
	params := e.claimParams(now)
	params["id"] = id
	var rows []dbRun
	err := e.write(false, func(tx core.App) error {
		rows = nil
		return tx.DB().NewQuery("UPDATE workflow_runs SET " + claimSet +
			" WHERE id = {:id} AND " + dueCondition + " RETURNING *").Bind(params).All(&rows)
	})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0].decode()
}

// claimDue takes the leases of up to limit due runs, oldest first, other
// than those this engine holds already.
func (e *Engine) claimDue(limit int) ([]*Run, error) {
	now := time.Now()
	params := e.claimParams(now)
	params["limit"] = limit
	held := e.trackedIDs()
	exclude := "''"
	if len(held) > 0 {
		names := make([]string, len(held))
		for i, id := range held {
			names[i] = "{:held" + strconv.Itoa(i) + "}"
			params["held"+strconv.Itoa(i)] = id
		}
		exclude = strings.Join(names, ",")
	}
	var rows []dbRun
	err := e.write(false, func(tx core.App) error {
		rows = nil
		return tx.DB().NewQuery(`UPDATE workflow_runs SET ` + claimSet + ` WHERE id IN (
			SELECT id FROM (
				SELECT id, created FROM workflow_runs WHERE status IN ('pending','running') AND (lease_owner = '' OR lease_until < {:now})
				UNION ALL
				SELECT id, created FROM workflow_runs WHERE status IN ('sleeping','waiting') AND wake_at != '' AND wake_at <= {:now}
			) WHERE id NOT IN (` + exclude + `) ORDER BY created LIMIT {:limit}
		) RETURNING *`).Bind(params).All(&rows)
	})
	if err != nil {
		return nil, err
	}
	runs := make([]*Run, 0, len(rows))
	for i := range rows {
		r, err := rows[i].decode()
		if err != nil {
			e.log.Error("workflows: undecodable run", "run", rows[i].ID, "error", err)
			continue
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// scanLoop claims due runs whenever the queue runs short, a kick arrives
// or the poll interval passes.
func (e *Engine) scanLoop(ctx context.Context) {
	ticker := time.NewTicker(e.opts.PollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-e.scanKick:
		}
		for {
			room := 2*e.opts.Workers - e.queued()
			if room <= 0 || e.isDraining() {
				break
			}
			runs, err := e.claimDue(room)
			if err != nil {
				e.log.Error("workflows: claiming due runs failed", "error", err)
				break
			}
			for _, r := range runs {
				e.enqueue(job{id: r.ID, run: r})
			}
			if len(runs) < room {
				break
			}
		}
	}
}

// heartbeatLoop extends every lease this engine holds (one UPDATE) and,
// every second, stops executors whose run was cancelled or taken over by
// another process, and tries the data dir's lock again if it was held.
func (e *Engine) heartbeatLoop(ctx context.Context) {
	beat := time.NewTicker(max(e.opts.Lease/3, 10*time.Millisecond))
	defer beat.Stop()
	check := time.NewTicker(time.Second)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if err := e.renewLeases(); err != nil {
				e.log.Error("workflows: heartbeat failed", "error", err)
			}
		case <-check.C:
			e.stopLostRuns()
			if e.waitingForLock() {
				e.takeOver(false)
			}
		}
	}
}

// renewLeases extends the leases of the runs this engine holds (queued or
// executing), and only those: a lease nobody here holds any more expires
// and the run is claimed again.
func (e *Engine) renewLeases() error {
	held := e.trackedIDs()
	until := fmtTime(time.Now().Add(e.opts.Lease))
	for start := 0; start < len(held); start += 500 {
		chunk := held[start:min(start+500, len(held))]
		ids := make([]any, len(chunk))
		for i, id := range chunk {
			ids[i] = id
		}
		_, err := e.app.NonconcurrentDB().Update(runsTable, dbx.Params{"lease_until": until},
			dbx.And(dbx.In("id", ids...), ownerRange(e.owner))).Execute()
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) stopLostRuns() {
	e.mu.Lock()
	tokens := make(map[string]string, len(e.executing))
	ids := make([]any, 0, len(e.executing))
	for id, x := range e.executing {
		tokens[id] = x.fence
		ids = append(ids, id)
	}
	e.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	var rows []struct {
		ID     string `db:"id"`
		Owner  string `db:"lease_owner"`
		Status string `db:"status"`
	}
	if err := e.app.DB().Select("id", "lease_owner", "status").From(runsTable).Where(dbx.In("id", ids...)).All(&rows); err != nil {
		return
	}
	for _, r := range rows {
		if r.Status == string(StatusCancelled) || r.Owner != tokens[r.ID] {
			e.cancelLocal(r.ID)
		}
	}
}

// takeOver takes the data dir's lock (instance_lock.go) and, holding it,
// frees every lease that is not this engine's: each belongs to a process
// that is gone, so its runs resume now rather than when the leases expire.
// That covers every status a lease is held in (runs executing, runs
// claimed or started and still queued in memory, timers and waits being
// woken). While another live process holds the lock nothing is freed; the
// heartbeat calls takeOver again each second until the lock is free (the
// holder died, or was still exiting when this process started).
func (e *Engine) takeOver(atStart bool) {
	lock, err := lockDataDir(e.app.DataDir(), e.owner)
	e.mu.Lock()
	e.lockWait = errors.Is(err, errLockHeld)
	if err == nil {
		e.lock = lock
	}
	e.mu.Unlock()
	switch {
	case errors.Is(err, errLockHeld):
		if atStart {
			e.log.Warn("workflows: another live process holds this data dir's lock; its runs are taken over when it exits or their leases expire",
				"lock", filepath.Join(e.app.DataDir(), lockFileName))
		}
		return
	case errors.Is(err, errLockUnsupported):
		return // leases expire on their own
	case err != nil:
		e.log.Error("workflows: cannot lock the data dir; leases of a previous process expire on their own", "error", err)
		return
	}
	res, err := e.app.NonconcurrentDB().Update(runsTable, dbx.Params{"lease_owner": "", "lease_until": ""},
		foreignLeases(e.owner)).Execute()
	if err != nil {
		e.log.Error("workflows: releasing the leases of a previous process failed", "error", err)
		return
	}
	if n, _ := res.RowsAffected(); n > 0 {
		e.log.Info("workflows: resuming runs of a previous process", "runs", n)
		if !atStart {
			e.kickScan()
		}
	}
}

// waitingForLock reports whether takeOver should be tried again.
func (e *Engine) waitingForLock() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lockWait
}
