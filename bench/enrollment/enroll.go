package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
)

// enroll.go: enrollment end to end against PocketBase's own record create.

var client = &http.Client{Timeout: time.Minute}

// postJSON sends body with the token and decodes the answer into out; it
// returns the status.
func postJSON(url, token string, body, out any) (int, error) {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s: %s", err, answer)
		}
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, fmt.Errorf("POST %s: %d %s", url, res.StatusCode, answer)
	}
	return res.StatusCode, nil
}

func measureEnrollments(env *academyEnv, cfg config) ([]row, error) {
	const warmup = 5
	total := warmup + cfg.sequential + 16*cfg.rounds
	fmt.Fprintf(os.Stderr, "making %d parent accounts…\n", 2*total)
	enrolling, err := env.addParents(total)
	if err != nil {
		return nil, err
	}
	creating, err := env.addParents(total)
	if err != nil {
		return nil, err
	}
	var slot atomic.Int64
	var runsMu sync.Mutex
	runOf := map[string]string{} // parent → its enrollment run
	enroll := func(p parent) (time.Duration, error) {
		teacher, start := env.trialSlot(int(slot.Add(1) - 1))
		body := map[string]any{
			"student": map[string]any{"first_name": "Kid", "last_name": "Of " + p.id, "birth_date": "2015-03-01",
				"instrument": env.piano, "level": "beginner"},
			"plan": env.plan, "trial": map[string]any{"teacher": teacher, "start": start.Format(time.RFC3339)},
			"payment_method": "pm_card_visa",
		}
		var answer struct {
			Status string `json:"status"`
			Run    string `json:"run"`
		}
		began := time.Now()
		code, err := postJSON(env.base+"/api/v1/enrollments?wait=10000", p.token, body, &answer)
		took := time.Since(began)
		runsMu.Lock()
		runOf[p.id] = answer.Run
		runsMu.Unlock()
		if err == nil && (code != http.StatusCreated || answer.Status != "completed") {
			err = fmt.Errorf("enrollment answered %d, run %s %s", code, answer.Run, answer.Status)
		}
		return took, err
	}
	// PocketBase's own record create in the same run: the parent adds a
	// prospect student through the record API (rules, validation, our hooks).
	create := func(p parent) (time.Duration, error) {
		body := map[string]any{"parent": p.id, "first_name": "Sib", "last_name": "Of " + p.id, "status": "prospect"}
		began := time.Now()
		_, err := postJSON(env.base+"/api/collections/students/records", p.token, body, nil)
		return time.Since(began), err
	}

	fmt.Fprintf(os.Stderr, "enrollments: %d one at a time, then %d rounds of 16…\n", cfg.sequential, cfg.rounds)
	for i := range warmup {
		if _, err := enroll(enrolling[i]); err != nil {
			return nil, err
		}
		if _, err := create(creating[i]); err != nil {
			return nil, err
		}
	}
	enrolling, creating = enrolling[warmup:], creating[warmup:]
	seqEnroll, err := sequential(enrolling[:cfg.sequential], enroll)
	if err != nil {
		return nil, err
	}
	seqCreate, err := sequential(creating[:cfg.sequential], create)
	if err != nil {
		return nil, err
	}
	concEnroll, err := concurrent16(enrolling[cfg.sequential:], cfg.rounds, enroll)
	if err != nil {
		return nil, err
	}
	concCreate, err := concurrent16(creating[cfg.sequential:], cfg.rounds, create)
	if err != nil {
		return nil, err
	}

	var seqRuns []string
	for _, p := range enrolling[:cfg.sequential] {
		seqRuns = append(seqRuns, runOf[p.id])
	}
	breakdown, err := nodeTimes(env, seqRuns)
	if err != nil {
		return nil, err
	}
	p95 := pct(seqEnroll, 0.95)
	what := "signed-in parent, trial slot and card: validate → account → match → hold → payment (customer, card attached, " +
		"trialing subscription on the Stripe stand-in) → record → welcome (3 mails queued; the outbox hands them to mailpit meanwhile)"
	return []row{
		{"Enrollment end to end, 1 family at a time (`POST /api/v1/enrollments?wait=` → 201 completed)",
			fmt.Sprintf("p50 %.1f ms, p95 %.1f ms", pct(seqEnroll, 0.5), p95),
			check(p95 <= 50, "ours: p95 ≤ 50 ms") + "; " + check(p95 <= 2000, "seed: 2 s"),
			fmt.Sprintf("%d enrollments, %s. Inside the run, p50 per node: %s", len(seqEnroll), what, breakdown)},
		{"Enrollment end to end, 16 families at once",
			fmt.Sprintf("p50 %.1f ms, p95 %.1f ms", pct(concEnroll, 0.5), pct(concEnroll, 0.95)),
			check(pct(concEnroll, 0.95) <= 2000, "seed: 2 s"),
			fmt.Sprintf("%d rounds of 16 started together (%d enrollments)", cfg.rounds, len(concEnroll))},
		{"Baseline: PocketBase record create, 1 at a time (a parent's `POST /api/collections/students/records`)",
			fmt.Sprintf("p50 %.1f ms, p95 %.1f ms", pct(seqCreate, 0.5), pct(seqCreate, 0.95)), "",
			fmt.Sprintf("%d creates in the same run: one record, its rules, validation and our hooks (audit)", len(seqCreate))},
		{"Baseline: PocketBase record create, 16 at once",
			fmt.Sprintf("p50 %.1f ms, p95 %.1f ms", pct(concCreate, 0.5), pct(concCreate, 0.95)), "",
			fmt.Sprintf("%d rounds of 16", cfg.rounds)},
	}, nil
}

func sequential(ps []parent, do func(parent) (time.Duration, error)) ([]time.Duration, error) {
	out := make([]time.Duration, 0, len(ps))
	for _, p := range ps {
		d, err := do(p)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func concurrent16(ps []parent, rounds int, do func(parent) (time.Duration, error)) ([]time.Duration, error) {
	var out []time.Duration
	for r := range rounds {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		for i := range 16 {
			wg.Add(1)
			go func(p parent) {
				defer wg.Done()
				d, err := do(p)
				mu.Lock()
				defer mu.Unlock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				out = append(out, d)
			}(ps[r*16+i])
		}
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
	}
	return out, nil
}

// nodeTimes is the p50 of each task node's duration over runs, in the
// workflow's order ("validate 2.1 ms, account 0.4 ms, …").
func nodeTimes(env *academyEnv, runs []string) (string, error) {
	var rows []struct {
		Node string  `db:"node"`
		MS   float64 `db:"duration_ms"`
	}
	ids := make([]any, len(runs))
	for i, r := range runs {
		ids[i] = r
	}
	err := env.app.DB().Select("node", "duration_ms").From("workflow_steps").
		Where(dbx.In("run", ids...)).AndWhere(dbx.HashExp{"status": "completed"}).All(&rows)
	if err != nil {
		return "", err
	}
	byNode := map[string][]time.Duration{}
	for _, r := range rows {
		byNode[r.Node] = append(byNode[r.Node], time.Duration(r.MS*float64(time.Millisecond)))
	}
	var parts []string
	for _, n := range []string{"validate", "account", "match", "hold", "payment", "record", "welcome"} {
		if ds := byNode[n]; len(ds) > 0 {
			parts = append(parts, fmt.Sprintf("%s %.1f ms", n, pct(ds, 0.5)))
		}
	}
	return strings.Join(parts, ", "), nil
}
