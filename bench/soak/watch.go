package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"cedarheights/bench/internal/machine"
	"cedarheights/bench/internal/served"
)

// watch.go samples the server process every few seconds: resident memory
// (VmRSS of /proc/<pid>/status), its peak, OS threads, CPU time, the
// machine's load average, and the outbox's pending mail (the admin health
// check). The Go runtime's goroutine count is not exposed by the server,
// so the threads stand in for it.

type probe struct {
	At       time.Time
	RSS      int64 // KiB
	Threads  int
	CPUTicks int64 // utime + stime, clock ticks
	Load1    string
	Pending  int // outbox messages waiting (-1 unknown)
}

type watcher struct {
	pid   int
	base  string
	admin string

	mu     sync.Mutex
	probes []probe
	stop   chan struct{}
	done   chan struct{}
}

func newWatcher(pid int, base, adminToken string) *watcher {
	return &watcher{pid: pid, base: base, admin: adminToken, stop: make(chan struct{}), done: make(chan struct{})}
}

func (w *watcher) start(every time.Duration) {
	go func() {
		defer close(w.done)
		t := time.NewTicker(every)
		defer t.Stop()
		w.sample()
		for {
			select {
			case <-w.stop:
				w.sample()
				return
			case <-t.C:
				w.sample()
			}
		}
	}()
}

func (w *watcher) finish() []probe {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.probes
}

func (w *watcher) sample() {
	p := probe{At: time.Now(), Pending: -1}
	p.RSS, p.Threads = procStatus(w.pid)
	p.CPUTicks = procCPU(w.pid)
	p.Load1 = strings.SplitN(machine.LoadAvg(), " ", 2)[0]
	p.Pending = w.outboxPending()
	w.mu.Lock()
	w.probes = append(w.probes, p)
	w.mu.Unlock()
}

// procStatus reads VmRSS (KiB) and Threads of a process.
func procStatus(pid int) (rss int64, threads int) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1, -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			rss, _ = strconv.ParseInt(fields[0], 10, 64)
		case "Threads":
			threads, _ = strconv.Atoi(fields[0])
		}
	}
	return rss, threads
}

// procCPU is utime + stime of a process in clock ticks (fields 14 and 15
// of /proc/<pid>/stat, counted after the command name's closing paren).
func procCPU(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return -1
	}
	u, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return u + st
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

func (w *watcher) outboxPending() int {
	req, _ := http.NewRequest(http.MethodGet, w.base+"/api/v1/health", nil)
	req.Header.Set("Authorization", w.admin)
	res, err := served.Client.Do(req)
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	var h struct {
		Mail *struct {
			Pending int `json:"pending"`
		} `json:"mail"`
	}
	if json.NewDecoder(res.Body).Decode(&h) != nil || h.Mail == nil {
		return -1
	}
	return h.Mail.Pending
}

// lockedInLog counts the lines of the server's log that mention "database
// is locked" (or SQLite's SQLITE_BUSY), and returns the first few.
func lockedInLog(path string) (int, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	n, first := 0, []string(nil)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.ToLower(sc.Text())
		if strings.Contains(line, "database is locked") || strings.Contains(line, "sqlite_busy") {
			n++
			if len(first) < 3 {
				first = append(first, sc.Text())
			}
		}
	}
	return n, first, sc.Err()
}
