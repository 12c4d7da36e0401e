package crash

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"cedarheights/internal/mailpit"
)

// TestKillNineMidMail queues mail on the built server pointed at mailpit,
// kills the server with SIGKILL while the outbox is sending, restarts it
// and checks that every message arrived: none lost, and at most the one
// that was on the wire at the kill delivered twice, with the same
// Message-ID (delivery is at least once; SMTP has no idempotency key).
func TestKillNineMidMail(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and kills the server")
	}
	pit := mailpit.Start(t, mailpit.Options{})
	bin := serverBinary(t)
	srv := NewServer(bin, t.TempDir())
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
	err = client.call(http.MethodPatch, "/api/settings", map[string]any{
		"smtp": map[string]any{"enabled": true, "host": pit.SMTPHost, "port": pit.SMTPPort},
		"meta": map[string]any{"senderAddress": mailpit.Sender},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}

	const total = 300
	for i := range total {
		err := client.call(http.MethodPost, "/api/collections/email_outbox/records", map[string]any{
			"to": fmt.Sprintf("family%d@cedarheights.test", i), "subject": fmt.Sprintf("Lesson %d", i),
			"text": "See you on Tuesday.", "status": "pending", "idempotency_key": fmt.Sprintf("crash-mail:%d", i),
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if list, err := pit.Messages(); err == nil && len(list) >= total/3 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	atKill, err := pit.Messages()
	if err != nil {
		t.Fatal(err)
	}
	if len(atKill) >= total {
		t.Fatalf("every message left before the kill (%d): not mid-send", len(atKill))
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	client = client.withURL(srv.URL)
	var pending int
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var out struct {
			TotalItems int `json:"totalItems"`
		}
		q := url.Values{"filter": {"status != 'sent'"}, "perPage": {"1"}}
		if err := client.call(http.MethodGet, "/api/collections/email_outbox/records?"+q.Encode(), nil, &out); err != nil {
			t.Fatal(err)
		}
		if pending = out.TotalItems; pending == 0 {
			break
		}
	}
	if pending != 0 {
		t.Fatalf("%d messages not sent a minute after the restart", pending)
	}

	list, err := pit.Messages()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]int{}
	subjects := map[string]bool{}
	for _, m := range list {
		byID[m.MessageID]++
		subjects[m.Subject] = true
	}
	duplicates := len(list) - len(byID)
	if len(byID) != total || len(subjects) != total {
		t.Errorf("%d distinct messages (%d subjects) arrived, want %d", len(byID), len(subjects), total)
	}
	if duplicates > 1 {
		t.Errorf("%d messages delivered twice; only the one on the wire at the kill may be", duplicates)
	}
	t.Logf("killed after %d of %d messages; %d delivered twice", len(atKill), total, duplicates)
}
