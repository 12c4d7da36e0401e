// Package benchmail runs mailpit (the SMTP server the tests use) for the
// benchmarks, which have no testing.TB for internal/mailpit.
package benchmail

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"cedarheights/internal/localbin"
	"cedarheights/internal/mailpit"
)

// Mailpit is one running mailpit on free loopback ports.
type Mailpit struct {
	SMTPHost string
	SMTPPort int
	URL      string // its HTTP API
	cmd      *exec.Cmd
	dir      string
	once     sync.Once
}

// Start runs mailpit with the tests' flags (--max 0: every message kept)
// and waits until its API answers.
func Start() (*Mailpit, error) {
	bin := localbin.Find("mailpit")
	if bin == "" {
		return nil, errors.New("mailpit is not installed: make mailpit (go install github.com/axllent/mailpit@" + mailpit.Version + ")")
	}
	smtpPort, err := localbin.FreePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := localbin.FreePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cedarheights-bench-mailpit-")
	if err != nil {
		return nil, err
	}
	m := &Mailpit{SMTPHost: "127.0.0.1", SMTPPort: smtpPort, URL: "http://127.0.0.1:" + strconv.Itoa(httpPort), dir: dir}
	m.cmd = exec.Command(bin, "--smtp", "127.0.0.1:"+strconv.Itoa(smtpPort), "--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check", "--smtp-disable-rdns", "--max", "0", "--quiet")
	if err := m.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := m.Count(); err == nil {
			return m, nil
		}
		if time.Now().After(deadline) {
			m.Stop()
			return nil, errors.New("mailpit did not answer within 20 s")
		}
	}
}

// Stop kills mailpit and removes its database.
func (m *Mailpit) Stop() {
	m.once.Do(func() {
		if m.cmd != nil && m.cmd.Process != nil {
			m.cmd.Process.Kill()
			m.cmd.Wait()
		}
		os.RemoveAll(m.dir)
	})
}

// Count is how many messages mailpit holds.
func (m *Mailpit) Count() (int, error) {
	res, err := http.Get(m.URL + "/api/v1/messages?limit=1")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("mailpit: %s", res.Status)
	}
	var body struct {
		Total int `json:"total"`
	}
	err = json.NewDecoder(res.Body).Decode(&body)
	return body.Total, err
}

// Clear deletes every message.
func (m *Mailpit) Clear() error {
	req, _ := http.NewRequest(http.MethodDelete, m.URL+"/api/v1/messages", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	return nil
}
