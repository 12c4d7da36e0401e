package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/workflows"
)

const crashTestCollection = "crashtest_writes"

// CrashInput is the crash-test workflow's input.
type CrashInput struct {
	Tag string `json:"tag"`
}

type crashState struct {
	Tag string `json:"tag"`
	A   string `json:"a,omitempty"`
	B   string `json:"b,omitempty"`
	C   string `json:"c,omitempty"`
	E   string `json:"e,omitempty"`
}

// CrashTest fans out after its first task and joins before its last:
// a → (b, c) → d (join) → e.
var CrashTest = workflows.Define("crashtest", 1,
	func(in CrashInput) crashState { return crashState{Tag: in.Tag} },
	workflows.Task("a", crashEffect(func(s *crashState) *string { return &s.A })).Then("b", "c"),
	workflows.Task("b", crashEffect(func(s *crashState) *string { return &s.B })).Then("d"),
	workflows.Task("c", crashEffect(func(s *crashState) *string { return &s.C })).Then("d"),
	workflows.Join[crashState]("d").Then("e"),
	workflows.Task("e", crashEffect(func(s *crashState) *string { return &s.E })),
).Result(func(s *crashState) any {
	return map[string]string{"a": s.A, "b": s.B, "c": s.C, "e": s.E}
})

var crashClient = &http.Client{Timeout: 10 * time.Second}

// crashEffect: call the stand-in (which deduplicates by Idempotency-Key),
// keep the effect id it answers in the state, and record it locally.
func crashEffect(field func(*crashState) *string) func(s *workflows.Step[crashState]) error {
	return func(s *workflows.Step[crashState]) error {
		delay, err := strconv.Atoi(os.Getenv("ACADEMY_CRASHTEST_DELAY_MS"))
		if err != nil {
			delay = 10
		}
		select {
		case <-time.After(time.Duration(delay) * time.Millisecond):
		case <-s.Done():
			return s.Err()
		}
		body, _ := json.Marshal(map[string]string{"run": s.RunID(), "node": s.Node()})
		req, err := http.NewRequestWithContext(s, http.MethodPost, os.Getenv("ACADEMY_CRASHTEST_URL")+"/effects", bytes.NewReader(body))
		if err != nil {
			return workflows.Permanent(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", s.IdempotencyKey())
		resp, err := crashClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("stand-in answered %d: %s", resp.StatusCode, raw)
		}
		var out struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
			return fmt.Errorf("stand-in answered %q", raw)
		}
		// Linger after the effect as a slow node would: a kill here leaves
		// an effect done and not checkpointed, the case idempotency keys
		// are for.
		select {
		case <-time.After(time.Duration(delay) * time.Millisecond):
		case <-s.Done():
			return s.Err()
		}
		*field(s.State) = out.ID
		run, node := s.RunID(), s.Node()
		s.Write(func(tx core.App) error {
			col, err := tx.FindCachedCollectionByNameOrId(crashTestCollection)
			if err != nil {
				return err
			}
			r := core.NewRecord(col)
			r.Set("run", run)
			r.Set("node", node)
			r.Set("effect", out.ID)
			return tx.Save(r)
		})
		return nil
	}
}

// ensureWritesCollection creates crashtest_writes (superusers only, no
// unique index: a duplicate write must be visible to the test).
func ensureWritesCollection(app core.App) error {
	if _, err := app.FindCollectionByNameOrId(crashTestCollection); err == nil {
		return nil
	}
	c := core.NewBaseCollection(crashTestCollection)
	c.Fields.Add(
		&core.TextField{Name: "run", Required: true},
		&core.TextField{Name: "node", Required: true},
		&core.TextField{Name: "effect"},
		&core.AutodateField{Name: "created", OnCreate: true},
	)
	c.AddIndex("idx_crashtest_writes_run", false, "`run`", "")
	return app.Save(c)
}
