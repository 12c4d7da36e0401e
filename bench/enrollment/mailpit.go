package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"cedarheights/internal/localbin"
	mailpitpkg "cedarheights/internal/mailpit"
)

// mailpit is the SMTP server the academy delivers to, run with the flags
// the tests use (internal/mailpit, which needs a testing.TB to start one).
type mailpit struct {
	smtpHost string
	smtpPort int
	url      string
	cmd      *exec.Cmd
	dir      string
}

func startMailpit() (*mailpit, error) {
	bin := localbin.Find("mailpit")
	if bin == "" {
		return nil, errors.New("mailpit is not installed: make mailpit (go install github.com/axllent/mailpit@" + mailpitpkg.Version + ")")
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
	m := &mailpit{smtpHost: "127.0.0.1", smtpPort: smtpPort, url: "http://127.0.0.1:" + strconv.Itoa(httpPort), dir: dir}
	m.cmd = exec.Command(bin, "--smtp", "127.0.0.1:"+strconv.Itoa(smtpPort), "--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check", "--smtp-disable-rdns", "--max", "0", "--quiet")
	if err := m.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := m.count(); err == nil {
			return m, nil
		}
		if time.Now().After(deadline) {
			m.stop()
			return nil, errors.New("mailpit did not answer within 20 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (m *mailpit) stop() {
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Kill()
		m.cmd.Wait()
	}
	os.RemoveAll(m.dir)
}

// count is how many messages mailpit holds.
func (m *mailpit) count() (int, error) {
	res, err := http.Get(m.url + "/api/v1/messages?limit=1")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var body struct {
		Total int `json:"total"`
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("mailpit: %s", res.Status)
	}
	err = json.NewDecoder(res.Body).Decode(&body)
	return body.Total, err
}

// clear deletes every message.
func (m *mailpit) clear() error {
	req, _ := http.NewRequest(http.MethodDelete, m.url+"/api/v1/messages", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	return nil
}
