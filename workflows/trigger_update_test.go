package workflows_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/workflows"
)

// An update trigger sees the record before and after the write, starts
// only for the changes it cares about, and commits (or fails) with the write.
func TestRecordUpdateTriggerStartsInTheSameTransaction(t *testing.T) {
	t.Parallel()
	flow := workflows.Define("room_renamed", 1, func(in roomInput) tally { return tally{Log: []string{in.Room}} },
		workflows.Task("a", func(*workflows.Step[tally]) error { return nil }))
	reg := registry(t, flow)
	workflows.OnRecordUpdate(reg, "rooms", flow, func(tx core.App, rec *core.Record) (roomInput, workflows.StartOptions, error) {
		before, after := rec.Original().GetString("name"), rec.GetString("name")
		switch {
		case before == after:
			return roomInput{}, workflows.StartOptions{}, workflows.ErrSkip
		case after == "fail":
			return roomInput{}, workflows.StartOptions{}, errors.New("no")
		}
		return roomInput{Room: before + " to " + after}, workflows.StartOptions{Subject: "rooms:" + rec.Id}, nil
	})
	app, _ := newEngine(t, reg)
	rooms, _ := app.FindCollectionByNameOrId("rooms")
	room := core.NewRecord(rooms)
	room.Load(map[string]any{"name": "Studio 9", "capacity": 1, "active": true})
	if err := app.Save(room); err != nil {
		t.Fatal(err)
	}
	count := func() int64 {
		n, _ := app.CountRecords("workflow_runs", dbx.HashExp{"name": "room_renamed"})
		return n
	}
	if count() != 0 {
		t.Fatal("a create started an update trigger")
	}

	// Each write on a freshly read record, as every request does (a saved
	// record keeps its loaded Original()).
	update := func(field string, v any) error {
		fresh, _ := app.FindRecordById("rooms", room.Id)
		fresh.Set(field, v)
		return app.Save(fresh)
	}
	if err := update("capacity", 2); err != nil || count() != 0 { // not a change the trigger cares about
		t.Fatalf("a skipped update: %v, %d runs", err, count())
	}
	if err := update("name", "Studio 10"); err != nil {
		t.Fatal(err)
	}
	run, err := app.FindFirstRecordByData("workflow_runs", "subject", "rooms:"+room.Id)
	if err != nil || count() != 1 {
		t.Fatalf("no run for the rename: %v", err)
	}
	if done := waitFor(t, app, run.Id, 5*time.Second, workflows.StatusCompleted); string(done.Input) != `{"room":"Studio 9 to Studio 10"}` {
		t.Errorf("input %s", done.Input)
	}

	if err := update("name", "fail"); err == nil {
		t.Error("a failing trigger let the update through")
	}
	if stored, _ := app.FindRecordById("rooms", room.Id); stored.GetString("name") != "Studio 10" || count() != 1 {
		t.Errorf("after a failed trigger: name %q, %d runs", stored.GetString("name"), count())
	}
}
