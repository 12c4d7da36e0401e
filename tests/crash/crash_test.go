package crash

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestKillNineMidRun starts runs of the crash workflow on the built server,
// kills it with SIGKILL part-way, restarts it and checks that every run
// completed, that every local write exists exactly once, and that the
// stand-in performed each idempotency key's effect exactly once (the one
// the run recorded). CRASH_TRIALS sets the number of kill points (default
// 3; `make bench` runs more).
func TestKillNineMidRun(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills the server")
	}
	trials := 3
	if n, err := strconv.Atoi(os.Getenv("CRASH_TRIALS")); err == nil && n > 0 {
		trials = n
	}
	bin := serverBinary(t)
	standIn := NewStandIn()
	defer standIn.Close()

	const runs = 50
	replayed := 0
	tasks := []string{"a", "b", "c", "e"} // d is a join: no effect
	total := runs * len(tasks)
	for trial := range trials {
		killAt := total * (trial + 1) / (trials + 1)
		t.Run(fmt.Sprintf("kill after %d of %d effects", killAt, total), func(t *testing.T) {
			srv := NewServer(bin, t.TempDir(),
				"ACADEMY_CRASHTEST_URL="+standIn.URL, "ACADEMY_CRASHTEST_DELAY_MS=15",
				"WORKFLOW_WORKERS=4")
			if err := migrated(srv); err != nil {
				t.Fatal(err)
			}
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer srv.Kill()
			client, err := Login(srv.URL, superEmail, superPassword)
			if err != nil {
				t.Fatal(err)
			}
			base := standIn.Effects()
			ids := map[string]bool{}
			for i := range runs {
				id, err := client.StartRun("crashtest", map[string]string{"tag": strconv.Itoa(i)}, fmt.Sprintf("crash-%d-%d", trial, i))
				if err != nil {
					t.Fatal(err)
				}
				ids[id] = true
			}
			deadline := time.Now().Add(30 * time.Second)
			for standIn.Effects()-base < killAt && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if err := srv.Kill(); err != nil {
				t.Fatal(err)
			}
			atKill := standIn.Effects() - base
			if atKill >= total {
				t.Fatalf("every effect happened before the kill (%d): not mid-run", atKill)
			}

			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			listed := waitAllCompleted(t, client.withURL(srv.URL), "crashtest", runs)
			for _, r := range listed {
				if !ids[r.ID] {
					t.Errorf("unexpected run %s", r.ID)
				}
			}

			// Local writes: one per (run, task node), none twice.
			writes, err := client.withURL(srv.URL).Records("crashtest_writes")
			if err != nil {
				t.Fatal(err)
			}
			effects, calls := standIn.Snapshot()
			seen := map[string]int{}
			for _, w := range writes {
				key := w["run"].(string) + "/" + w["node"].(string)
				seen[key]++
				if eff, ok := effects[key]; !ok || eff != w["effect"] {
					t.Errorf("write %s records effect %v; the stand-in's is %q", key, w["effect"], eff)
				}
			}
			replays := 0
			for id := range ids {
				for _, node := range tasks {
					key := id + "/" + node
					if seen[key] != 1 {
						t.Errorf("%s: %d local writes, want exactly 1", key, seen[key])
					}
					if _, ok := effects[key]; !ok {
						t.Errorf("%s: the stand-in saw no effect", key)
					}
					replays += calls[key] - 1
				}
			}
			if len(writes) != total {
				t.Errorf("%d local writes, want %d", len(writes), total)
			}
			if got := standIn.Effects() - base; got != total {
				t.Errorf("the stand-in performed %d effects, want %d (one per key)", got, total)
			}
			for _, r := range listed {
				var result map[string]string
				json.Unmarshal(r.Result, &result)
				for _, node := range tasks {
					if result[node] != effects[r.ID+"/"+node] {
						t.Errorf("run %s result %s: node %s effect %q", r.ID, r.Result, node, effects[r.ID+"/"+node])
					}
				}
			}
			if err := srv.Stop(); err != nil {
				t.Error(err)
			}
			if out := srv.Output(); strings.Contains(out, "database is locked") {
				t.Errorf("the server reported a locked database:\n%s", out)
			}
			replayed += replays
			t.Logf("killed after %d effects; %d calls were repeated after the restart and answered by key", atKill, replays)
		})
	}
	if replayed == 0 && !t.Failed() {
		t.Error("no kill landed between an effect and its checkpoint: the idempotency path went untested")
	}
}

func (c *Client) withURL(u string) *Client {
	cp := *c
	cp.URL = u
	return &cp
}

// waitAllCompleted waits (a minute at most, against a hang) until want runs
// of workflow exist and all completed, and fails on any that ended otherwise.
func waitAllCompleted(t *testing.T, c *Client, workflow string, want int) []Run {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var runs []Run
	for time.Now().Before(deadline) {
		var err error
		runs, err = c.Runs(workflow)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, r := range runs {
			switch r.Status {
			case "completed":
				done++
			case "failed", "dead_letter", "cancelled", "version_missing":
				t.Fatalf("run %s ended %s: %s", r.ID, r.Status, r.Error)
			}
		}
		if len(runs) == want && done == want {
			return runs
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not every %s run completed after the restart: %+v", workflow, runs)
	return nil
}
