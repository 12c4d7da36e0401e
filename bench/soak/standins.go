package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"cedarheights/billing/stripestub"
	mailpitpkg "cedarheights/internal/mailpit"
)

// standins.go runs what the academy talks to: mailpit (a real SMTP server,
// the binary the tests use) and the delivery of the Stripe stand-in's
// webhooks back to the server, as Stripe would send them.

type mailpit struct {
	smtpHost string
	smtpPort int
	url      string
	cmd      *exec.Cmd
	dir      string
	once     sync.Once
}

func startMailpit() (*mailpit, error) {
	bin := mailpitpkg.Find()
	if bin == "" {
		return nil, errors.New("mailpit is not installed: make mailpit (go install github.com/axllent/mailpit@" + mailpitpkg.Version + ")")
	}
	smtpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cedarheights-soak-mailpit-")
	if err != nil {
		return nil, err
	}
	m := &mailpit{smtpHost: "127.0.0.1", smtpPort: smtpPort, url: "http://127.0.0.1:" + strconv.Itoa(httpPort), dir: dir}
	// --max 0: keep every message (the default keeps 500 and deletes the
	// rest, work a soak should not add to mailpit).
	m.cmd = exec.Command(bin, "--smtp", "127.0.0.1:"+strconv.Itoa(smtpPort), "--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check", "--smtp-disable-rdns", "--max", "0", "--quiet")
	if err := m.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(m.url + "/api/v1/messages?limit=1")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return m, nil
			}
		}
		if time.Now().After(deadline) {
			m.stop()
			return nil, errors.New("mailpit did not answer within 20 s")
		}
	}
}

func (m *mailpit) stop() {
	m.once.Do(func() {
		if m.cmd != nil && m.cmd.Process != nil {
			m.cmd.Process.Kill()
			m.cmd.Wait()
		}
		os.RemoveAll(m.dir)
	})
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// webhooks delivers the stand-in's events every second, each timed and
// recorded like any request (an answer other than 200 is an error).
type webhooks struct {
	stopCh chan struct{}
	done   chan struct{}
	n      int
	errs   []string
}

const webhookEndpoint = "POST /api/v1/stripe/webhooks (Stripe stand-in)"

func deliverWebhooks(stub *stripestub.Server, rec *recorder) *webhooks {
	w := &webhooks{stopCh: make(chan struct{}), done: make(chan struct{})}
	deliver := func() {
		for _, ev := range stub.Pending() {
			s := sample{Endpoint: webhookEndpoint, At: time.Now()}
			code, err := stub.Deliver(ev, stripestub.Delivery{})
			s.Took = time.Since(s.At)
			w.n++
			if err != nil || code != http.StatusOK {
				s.Outcome = failed
				s.Detail = fmt.Sprintf("event %v (%v): %d %v", ev["id"], ev["type"], code, err)
				if len(w.errs) < 5 {
					w.errs = append(w.errs, s.Detail)
				}
			}
			rec.add(s)
		}
	}
	go func() {
		defer close(w.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-w.stopCh:
				deliver()
				return
			case <-t.C:
				deliver()
			}
		}
	}()
	return w
}

// stop delivers what is left and reports the deliveries and refusals.
func (w *webhooks) stop() (int, []string) {
	close(w.stopCh)
	<-w.done
	return w.n, w.errs
}
