package workflows

import (
	"encoding/json"
	"slices"
	"time"
)

// Status is a run's lifecycle state.
type Status string

const (
	StatusPending        Status = "pending"         // committed, not yet picked up
	StatusRunning        Status = "running"         // a worker holds (or is about to take) its lease
	StatusSleeping       Status = "sleeping"        // a durable timer or a retry backoff: wakes at WakeAt
	StatusWaiting        Status = "waiting"         // waits for an event with WaitKey until WaitDeadline
	StatusCompleted      Status = "completed"       // every node done; Result set
	StatusFailed         Status = "failed"          // a node failed permanently; compensations ran
	StatusCancelled      Status = "cancelled"       // cancelled by an operator or the code
	StatusDeadLetter     Status = "dead_letter"     // a node exhausted its retries (or a compensation failed)
	StatusVersionMissing Status = "version_missing" // its workflow version is no longer registered
)

// Terminal reports whether the run has stopped for good (until an
// operator retries or resumes it).
func (s Status) Terminal() bool {
	switch s {
	case StatusCompleted, StatusFailed, StatusCancelled, StatusDeadLetter:
		return true
	}
	return false
}

// Statuses lists every status.
var Statuses = []Status{
	StatusPending, StatusRunning, StatusSleeping, StatusWaiting, StatusCompleted,
	StatusFailed, StatusCancelled, StatusDeadLetter, StatusVersionMissing,
}

// Run is a workflow run as stored in workflow_runs.
type Run struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Version        int             `json:"version"`
	Status         Status          `json:"status"`
	Subject        string          `json:"subject"`
	Owner          string          `json:"owner"`
	IdempotencyKey string          `json:"idempotency_key"`
	Input          json.RawMessage `json:"input"`
	State          json.RawMessage `json:"state"`
	Result         json.RawMessage `json:"result"`
	Error          string          `json:"error"`
	Ready          []string        `json:"ready"`
	Done           []string        `json:"done"`
	LeaseOwner     string          `json:"lease_owner"`
	LeaseUntil     time.Time       `json:"lease_until"`
	WakeAt         time.Time       `json:"wake_at"`
	WaitKey        string          `json:"wait_key"`
	WaitDeadline   time.Time       `json:"wait_deadline"`
	Started        time.Time       `json:"started"`
	Finished       time.Time       `json:"finished"`
	Created        time.Time       `json:"created"`
	Updated        time.Time       `json:"updated"`

	// Existing is set by Start when the idempotency key matched a run
	// that already existed (and no new run was made).
	Existing bool `json:"-"`

	prog progress
}

// progress is the engine's bookkeeping beyond the ready and done sets.
type progress struct {
	Attempts  map[string]int       `json:"attempts,omitempty"`   // failed attempts per node so far
	NotBefore map[string]time.Time `json:"not_before,omitempty"` // sleep timers and retry backoffs
	Wait      *waitState           `json:"wait,omitempty"`

	// After a permanent failure: the compensations still to run (in that
	// order), the node that failed, the status to end in and the nodes
	// that were ready (Resume starts from them).
	Compensate []string `json:"compensate,omitempty"`
	Failed     string   `json:"failed,omitempty"`
	Outcome    Status   `json:"outcome,omitempty"`
	Stopped    []string `json:"stopped,omitempty"`
}

type waitState struct {
	Node     string    `json:"node"`
	Key      string    `json:"key"`
	Deadline time.Time `json:"deadline"`
}

// Progress is the run's bookkeeping as JSON (for the CLI).
func (r *Run) Progress() json.RawMessage {
	b, _ := json.Marshal(r.prog)
	return b
}

// compensating reports whether the run is undoing completed tasks.
func (r *Run) compensating() bool { return r.prog.Outcome != "" }

func (r *Run) isDone(id string) bool  { return slices.Contains(r.Done, id) }
func (r *Run) isReady(id string) bool { return slices.Contains(r.Ready, id) }

func (r *Run) removeReady(id string) {
	r.Ready = slices.DeleteFunc(r.Ready, func(s string) bool { return s == id })
}

func (r *Run) clone() *Run {
	c := *r
	c.Ready = slices.Clone(r.Ready)
	c.Done = slices.Clone(r.Done)
	c.prog = r.prog.clone()
	return &c
}

func (p progress) clone() progress {
	c := p
	if p.Attempts != nil {
		c.Attempts = make(map[string]int, len(p.Attempts))
		for k, v := range p.Attempts {
			c.Attempts[k] = v
		}
	}
	if p.NotBefore != nil {
		c.NotBefore = make(map[string]time.Time, len(p.NotBefore))
		for k, v := range p.NotBefore {
			c.NotBefore[k] = v
		}
	}
	if p.Wait != nil {
		w := *p.Wait
		c.Wait = &w
	}
	c.Compensate = slices.Clone(p.Compensate)
	c.Stopped = slices.Clone(p.Stopped)
	return c
}

// StepRecord is one attempt of one node, as stored in workflow_steps.
type StepRecord struct {
	ID         string          `json:"id"`
	Run        string          `json:"run"`
	Node       string          `json:"node"`
	Attempt    int             `json:"attempt"`
	Status     string          `json:"status"`
	Output     json.RawMessage `json:"output"`
	Error      string          `json:"error"`
	Started    time.Time       `json:"started"`
	Finished   time.Time       `json:"finished"`
	DurationMS float64         `json:"duration_ms"`
	Created    time.Time       `json:"created"`
}

// Step record statuses.
const (
	stepCompleted = "completed" // the node finished (tasks, routers, joins, timers, waits)
	stepRetrying  = "retrying"  // the attempt failed; another follows
	stepFailed    = "failed"    // the attempt failed and no retry follows
)
