package workflows

import (
	"encoding/json"
	"time"
)

// exec_safe.go: step records, and the workflow's own pure functions run
// with their panics turned into errors.

func (x *executor) stepRecord(node string, attempt int, status, output, errText string, started, finished, now time.Time) *StepRecord {
	if output == "" {
		output = "null"
	}
	return &StepRecord{
		ID: newID(), Run: x.run.ID, Node: node, Attempt: max(attempt, 1), Status: status,
		Output: json.RawMessage(output), Error: errText, Started: started, Finished: finished,
		DurationMS: float64(finished.Sub(started).Microseconds()) / 1000, Created: now,
	}
}

// The user's pure node functions, with panics turned into errors.
func safeRoute(n *nodeSpec, state []byte) (branch string, err error) {
	defer recoverInto(&err)
	return n.route(state)
}

func safeUntil(n *nodeSpec, state []byte) (t time.Time, err error) {
	defer recoverInto(&err)
	return n.until(state)
}

func safeWaitUntil(n *nodeSpec, state []byte) (t time.Time, err error) {
	defer recoverInto(&err)
	return n.waitUntil(state)
}

func safeKey(n *nodeSpec, state []byte) (key string, err error) {
	defer recoverInto(&err)
	return n.waitKey(state)
}

func safeReceive(n *nodeSpec, state []byte, ev Event) (out []byte, err error) {
	defer recoverInto(&err)
	return n.receive(state, ev)
}

func recoverInto(err *error) {
	if p := recover(); p != nil {
		*err = Permanentf("panic: %v", p)
	}
}
