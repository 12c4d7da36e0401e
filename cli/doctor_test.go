package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"cedarheights/doctor"
)

func TestDoctorCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		args     []string
		breakIt  bool
		wantExit int // -1: doctorExit not called (status 0)
		wantOut  []string
	}{
		{"clean", nil, false, -1, []string{"0 violation(s), 0 needing attention"}},
		{"clean, json", []string{"--json"}, false, -1, []string{`"violations": 0`}},
		{"broken", nil, true, 1, []string{"violation", "audit_missing_create", "instruments:dr0000000000001", "1 violation(s)"}},
		{"broken, json", []string{"--json"}, true, 1, []string{`"code": "audit_missing_create"`, `"violations": 1`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := bareApp(t, "UTC")
			if c.breakIt {
				// An instrument written around the app: no audit entry.
				now := time.Now().UTC().Format("2006-01-02 15:04:05.000Z")
				if _, err := app.DB().NewQuery("INSERT INTO instruments (id, name, active, created, updated) VALUES ('dr0000000000001', 'Kazoo', 1, {:now}, {:now})").
					Bind(dbx.Params{"now": now}).Execute(); err != nil {
					t.Fatal(err)
				}
			}
			exit := -1
			cmd := newDoctorCommandExiting(app, func(code int) { exit = code })
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetArgs(c.args)
			err := cmd.Execute()
			if exit != c.wantExit || (err != nil) != (c.wantExit != -1) {
				t.Fatalf("exit %d, error %v; want exit %d\n%s", exit, err, c.wantExit, out.String())
			}
			for _, s := range c.wantOut {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
			if strings.HasSuffix(c.name, "json") {
				js := out.String()
				if i := strings.LastIndex(js, "}"); i >= 0 {
					js = js[:i+1]
				}
				var rep doctor.Report
				if err := json.Unmarshal([]byte(js), &rep); err != nil {
					t.Fatalf("--json output is not a report: %v\n%s", err, out.String())
				}
			}
		})
	}
}
