package deploy

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite PocketBase uses, to read the files
)

const (
	litestreamInstall = "github.com/benbjohnson/litestream/cmd/litestream@v0.5.18"
	gofakes3Install   = "github.com/johannesboyne/gofakes3/cmd/gofakes3@v1.2.0"
	bucket            = "academy-backups"
)

// The load: enough concurrent writes for Litestream to ship many WAL
// segments and checkpoint meanwhile, short enough for make test.
const (
	loadWorkers  = 6
	loadAttempts = 600
	loadWithin   = 30 * time.Second
)

// replicaWindow reads deploy/litestream.yml's monitor-interval and
// sync-interval for data.db (its first database): a write acknowledged
// before the primary dies is in the replica once both have passed.
func replicaWindow(t *testing.T, config string) (monitor, sync time.Duration) {
	t.Helper()
	b, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	read := func(key string) time.Duration {
		m := regexp.MustCompile(`(?m)^\s*` + key + `:\s*(\S+)`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s sets no %s", config, key)
		}
		d, err := time.ParseDuration(string(m[1]))
		if err != nil {
			t.Fatalf("%s: %s: %v", config, key, err)
		}
		return d
	}
	return read("monitor-interval"), read("sync-interval")
}

// startS3 runs gofakes3 in memory on loopback with the bucket made.
func startS3(t *testing.T) string {
	t.Helper()
	bin := lookTool(t, "gofakes3", gofakes3Install)
	addr := freeAddr(t)
	p := startProcess(t, "gofakes3", exec.Command(bin, "-backend", "memory", "-initialbucket", bucket, "-host", addr, "-quiet"))
	waitListening(t, p, addr)
	return "http://" + addr
}

// TestRestoreLosesNoAcknowledgedWrite serves the academy the way the image
// does (deploy/entrypoint.sh: Litestream replicating both databases with
// deploy/litestream.yml, the server as its -exec child), writes under load,
// waits Litestream's documented window (monitor-interval + sync-interval),
// kills everything with SIGKILL, deletes the data folder and restores both
// databases with `litestream restore`: every acknowledged write is there and
// the calendar holds no overlap. Then the restored folder is served under
// Litestream again (replication resumes), written to, lost a second time,
// and restored by the entry point itself on the empty folder (as a new
// container on an empty volume does): every write of both rounds is served.
func TestRestoreLosesNoAcknowledgedWrite(t *testing.T) {
	litestream := lookTool(t, "litestream", litestreamInstall)
	endpoint := startS3(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(root, "deploy", "litestream.yml")
	monitor, syncEvery := replicaWindow(t, config)
	window := monitor + syncEvery

	data := filepath.Join(t.TempDir(), "pb_data")
	// AWS_CA_BUNDLE (set on some machines) makes the S3 client load a
	// bundle that does not fit a loopback stand-in; AWS_* credentials of the
	// machine must not leak into the test either.
	env := environ([]string{"AWS_", "LITESTREAM_", "TMPDIR"},
		"TMPDIR="+childTmp,
		"ACADEMY_TZ=UTC",
		"ACADEMY_RATE_LIMIT=off",
		"ACADEMY_BIN="+academyBin,
		"ACADEMY_DATA_DIR="+data,
		"LITESTREAM_BIN="+litestream,
		"LITESTREAM_CONFIG="+config,
		"LITESTREAM_BUCKET="+bucket,
		"LITESTREAM_ENDPOINT="+endpoint,
		"LITESTREAM_REGION=us-east-1",
		"LITESTREAM_ACCESS_KEY_ID=restore-test",
		"LITESTREAM_SECRET_ACCESS_KEY=restore-test-secret",
	)
	entrypoint := func(args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(root, "deploy", "entrypoint.sh"), args...)
		cmd.Env = env
		return cmd
	}
	litestreamCmd := func(args ...string) *exec.Cmd {
		cmd := exec.Command(litestream, append(args[:1:1], append([]string{"-config", config}, args[1:]...)...)...)
		cmd.Env = env
		return cmd
	}
	serve := func(name string) (*process, string) {
		addr := freeAddr(t)
		cmd := entrypoint()
		cmd.Env = append(cmd.Env, "ACADEMY_HTTP="+addr)
		p := startProcess(t, name, cmd)
		waitHealthy(t, p, "http://"+addr)
		return p, "http://" + addr
	}
	// lose waits the window after the last acknowledged write (twice, for
	// a busy machine) and until the bucket holds the transaction Litestream
	// last wrote locally, then kills everything and empties the folder.
	lose := func(p *process, last time.Time) (map[string]int, time.Duration) {
		t.Helper()
		time.Sleep(time.Until(last.Add(2 * window)))
		waitReplicated(t, litestreamCmd, filepath.Join(data, "data.db"))
		counts := tableCounts(t, filepath.Join(data, "data.db"))
		p.kill()
		killedAfter := time.Since(last)
		entries, err := os.ReadDir(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(data, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
		return counts, killedAfter
	}

	// 1. The first superuser (this also creates both databases), then the
	// server under Litestream, as the container starts.
	const email, password = "owner@restore.test", "restore-owner-password"
	runCmd(t, entrypoint("superuser", "upsert", email, password, "--dir", data))
	primary, base := serve("litestream + academy")
	a := seedAcademy(t, base, superuserToken(t, base, email, password))

	// 2. Writes under load.
	started := time.Now()
	got := a.load(loadWorkers, loadAttempts, loadWithin)
	loadTook := time.Since(started)
	got.check(t)

	// 3. The disk dies after Litestream's window.
	before, killedAfter := lose(primary, got.last)

	// 4. Restored from the bucket by hand, as the README's restore steps say.
	restoreTook := map[string]time.Duration{}
	for _, db := range []string{"data.db", "auxiliary.db"} {
		started := time.Now()
		runCmd(t, litestreamCmd("restore", filepath.Join(data, db)))
		restoreTook[db] = time.Since(started)
	}

	// 5. The files: sound, and holding every acknowledged write.
	for _, db := range []string{"data.db", "auxiliary.db"} {
		if msg := integrityCheck(t, filepath.Join(data, db)); msg != "ok" {
			t.Fatalf("restored %s: PRAGMA integrity_check: %s", db, msg)
		}
	}
	restored := filepath.Join(data, "data.db")
	assertPresent(t, restored, "students", got.students)
	assertPresent(t, restored, "lessons", got.lessons)
	after := tableCounts(t, restored)
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s: %d rows in the primary when it died, %d restored", table, n, after[table])
		}
	}
	assertNoOverlaps(t, restored)
	runDoctor(t, data)
	fi, err := os.Stat(restored)
	if err != nil {
		t.Fatal(err)
	}

	// 6. Served again under Litestream: everything is there, replication
	// resumes, and more writes come in.
	second, base := serve("litestream + academy on the restored folder")
	su := superuserToken(t, base, email, password)
	assertServed(t, base, su, "students", got.students)
	assertServed(t, base, su, "lessons", got.lessons)
	a.base = base
	more := a.load(loadWorkers, loadAttempts/6, loadWithin)
	more.check(t)

	// 7. Lost again; this time the entry point restores the empty folder
	// itself before serving (-restore-if-db-not-exists).
	lose(second, more.last)
	third, base := serve("litestream + academy restoring an empty folder")
	su = superuserToken(t, base, email, password)
	for _, round := range []*acked{got, more} {
		assertServed(t, base, su, "students", round.students)
		assertServed(t, base, su, "lessons", round.lessons)
	}
	third.stop(t)
	assertNoOverlaps(t, filepath.Join(data, "data.db"))

	t.Logf("restore figures: %d writes acknowledged (%d students, %d lessons; %d bookings refused 409) by %d workers in %s; "+
		"Litestream window monitor-interval %s + sync-interval %s; SIGKILL %s after the last acknowledgement; "+
		"litestream restore: data.db %s (%d KiB), auxiliary.db %s; all acknowledged writes present, "+
		"and after a second loss (%d more writes) restored by the entry point",
		got.total(), len(got.students), len(got.lessons), got.conflicts, loadWorkers, loadTook.Round(time.Millisecond),
		monitor, syncEvery, killedAfter.Round(time.Millisecond),
		restoreTook["data.db"].Round(time.Millisecond), fi.Size()>>10, restoreTook["auxiliary.db"].Round(time.Millisecond),
		more.total())
}

// waitReplicated waits until the bucket's newest LTX file for db reaches
// the transaction Litestream last wrote locally (`litestream status` and
// `litestream ltx`): a slow upload on a busy machine shows as a wait, not
// as a lost write. It fails after a minute.
func waitReplicated(t *testing.T, litestream func(...string) *exec.Cmd, db string) {
	t.Helper()
	var local, replica string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var status []struct {
			LocalTXID string `json:"local_txid"`
		}
		var files []struct {
			MaxTXID string `json:"max_txid"`
		}
		if err := json.Unmarshal([]byte(runCmd(t, litestream("status", "-json", db))), &status); err != nil || len(status) != 1 {
			t.Fatalf("litestream status -json: %v", err)
		}
		if err := json.Unmarshal([]byte(runCmd(t, litestream("ltx", "-json", db))), &files); err != nil {
			t.Fatalf("litestream ltx -json: %v", err)
		}
		local, replica = status[0].LocalTXID, ""
		for _, f := range files {
			replica = max(replica, f.MaxTXID) // fixed-width hex: text order is number order
		}
		if local != "" && replica >= local {
			return
		}
	}
	t.Fatalf("the bucket is still at transaction %q a minute after Litestream wrote %q locally", replica, local)
}

// check fails the test when a write failed or the load proved nothing.
func (got *acked) check(t *testing.T) {
	t.Helper()
	if len(got.failures) > 0 {
		t.Fatalf("%d writes failed under load (none may: no 5xx, no 'database is locked'), first: %s",
			len(got.failures), strings.Join(got.failures[:min(5, len(got.failures))], "\n"))
	}
	if len(got.students) < 10 || len(got.lessons) < 3 {
		t.Fatalf("the load wrote too little to prove anything: %d students, %d lessons", len(got.students), len(got.lessons))
	}
}

func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func integrityCheck(t *testing.T, path string) string {
	t.Helper()
	var msg string
	if err := openDB(t, path).QueryRow("PRAGMA integrity_check").Scan(&msg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return msg
}

// tableCounts counts the rows of every table but Litestream's own.
func tableCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	db := openDB(t, path)
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_litestream%' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	counts := map[string]int{}
	for _, table := range tables {
		var n int
		if err := db.QueryRow(fmt.Sprintf("SELECT count(*) FROM `%s`", table)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[table] = n
	}
	return counts
}

func assertPresent(t *testing.T, path, table string, ids []string) {
	t.Helper()
	rows, err := openDB(t, path).Query(fmt.Sprintf("SELECT id FROM `%s`", table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		have[id] = true
	}
	var missing []string
	for _, id := range ids {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged %s are missing from the restored database, e.g. %v",
			len(missing), len(ids), table, missing[:min(5, len(missing))])
	}
}

// assertNoOverlaps checks the calendar's invariant on the restored file: no
// two live lessons of one teacher, one student or one room overlap.
func assertNoOverlaps(t *testing.T, path string) {
	t.Helper()
	db := openDB(t, path)
	for _, who := range []string{"teacher", "student", "room"} {
		var n int
		err := db.QueryRow(fmt.Sprintf(`SELECT count(*) FROM lessons a JOIN lessons b
			ON a.%[1]s = b.%[1]s AND a.%[1]s != '' AND a.id < b.id
			AND a.start < b."end" AND b.start < a."end"
			WHERE a.status != 'cancelled' AND b.status != 'cancelled'`, who)).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			t.Errorf("the restored calendar has %d overlapping pairs of live lessons for one %s", n, who)
		}
	}
}

// runDoctor runs the academy's invariant checker on the restored folder
// and requires a clean report (exit status 0).
func runDoctor(t *testing.T, data string) {
	t.Helper()
	cmd := exec.Command(academyBin, "doctor", "--dir", data)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("doctor on the restored folder: %s\n%s", exitedWith(err), out)
	}
}

// assertServed asks the restored server for every acknowledged record.
func assertServed(t *testing.T, base, token, collection string, ids []string) {
	t.Helper()
	var mu sync.Mutex
	var missing []string
	work := make(chan string)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				res, err := send(http.MethodGet, base+"/api/collections/"+collection+"/records/"+id, token, nil)
				if err != nil || res.status != http.StatusOK {
					mu.Lock()
					missing = append(missing, fmt.Sprintf("%s (%v %d)", id, err, res.status))
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	if len(missing) > 0 {
		t.Fatalf("the restored server does not serve %d of %d acknowledged %s, e.g. %v",
			len(missing), len(ids), collection, missing[:min(5, len(missing))])
	}
}
