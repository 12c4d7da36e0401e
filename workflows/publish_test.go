package workflows_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"cedarheights/internal/testapp"
	"cedarheights/wiring"
	"cedarheights/workflows"
)

// TestAnnouncedRecordsAreWhatLoadMakes: the records the engine hands to the
// after-save hooks (realtime, app hooks) hold the same values, of the same
// types, as rec.Load of the stored columns gives.
func TestAnnouncedRecordsAreWhatLoadMakes(t *testing.T) {
	t.Parallel()
	app, _ := testapp.New(t, wiring.WithoutEngine())
	col, err := app.FindCollectionByNameOrId("workflow_runs")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 9, 30, 1, 123456789, time.UTC)
	runs := map[string]*workflows.Run{
		"fresh": {ID: "abc123def456ghi", Name: "order", Version: 1, Status: workflows.StatusPending,
			Input: json.RawMessage(`{"amount":3}`), State: json.RawMessage(`{"amount":3}`), Result: json.RawMessage("null"),
			Ready: []string{"receive"}, Created: at},
		"everything set": {ID: "zzz999yyy888xxx", Name: "order", Version: 2, Status: workflows.StatusWaiting,
			Subject: "lessons:1", IdempotencyKey: "key-1", Error: "boom",
			Input: json.RawMessage(`"text"`), State: json.RawMessage(`{"a":[1,2],"b":"x"}`), Result: json.RawMessage(`{"ok":true}`),
			Ready: []string{"a", "b"}, Done: []string{"c"}, LeaseOwner: "host:1:n/2/zzz", LeaseUntil: at.Add(time.Minute),
			WakeAt: at.Add(time.Hour), WaitKey: "invoice:1", WaitDeadline: at.Add(2 * time.Hour),
			Started: at, Finished: at.Add(time.Second), Created: at.Add(-time.Second)},
	}
	for name, r := range runs {
		got, want := workflows.AnnouncedRun(col, r, at.Add(3*time.Second))
		if !reflect.DeepEqual(got.FieldsData(), want.FieldsData()) || got.Id != want.Id || got.IsNew() != want.IsNew() {
			t.Errorf("%s: announced\n%#v\nwant (Load)\n%#v", name, got.FieldsData(), want.FieldsData())
		}
	}
	step := &workflows.StepRecord{ID: "step1step1step1", Run: "abc123def456ghi", Node: "receive", Attempt: 2,
		Status: "retrying", Output: json.RawMessage(`{"b":3}`), Error: "again", Started: at, Finished: at.Add(1500 * time.Microsecond),
		DurationMS: 1.5, Created: at}
	got, want := workflows.AnnouncedStep(app, step)
	if got == nil || !reflect.DeepEqual(got.FieldsData(), want.FieldsData()) || got.Id != want.Id {
		t.Errorf("step: announced\n%#v\nwant (Load)\n%#v", got, want.FieldsData())
	}
}
