package billing_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/balance"

	"cedarheights/billing"
)

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(billing.EnvSecretKey, " sk_test_123 ")
	t.Setenv(billing.EnvWebhookSecret, "whsec_abc")
	t.Setenv(billing.EnvAPIBase, "http://127.0.0.1:12111")

	got := billing.ConfigFromEnv()
	want := billing.Config{SecretKey: "sk_test_123", WebhookSecret: "whsec_abc", APIBase: "http://127.0.0.1:12111"}
	if got != want {
		t.Fatalf("ConfigFromEnv() = %+v, want %+v", got, want)
	}
}

func TestConfigModeAndValidate(t *testing.T) {
	cases := []struct {
		name    string
		cfg     billing.Config
		mode    billing.Mode
		wantErr bool
	}{
		{"empty is offline", billing.Config{}, billing.Offline, false},
		{"webhook secret alone is offline", billing.Config{WebhookSecret: "whsec_x"}, billing.Offline, false},
		{"key is online", billing.Config{SecretKey: "sk_test_1"}, billing.Online, false},
		{"stand-in base", billing.Config{SecretKey: "sk_test_1", APIBase: "http://127.0.0.1:12111"}, billing.Online, false},
		{"relative base", billing.Config{SecretKey: "sk_test_1", APIBase: "127.0.0.1:12111"}, billing.Online, true},
		{"ftp base", billing.Config{APIBase: "ftp://example.com"}, billing.Offline, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.cfg.Mode(); got != c.mode {
				t.Errorf("Mode() = %q, want %q", got, c.mode)
			}
			if err := c.cfg.Validate(); (err != nil) != c.wantErr {
				t.Errorf("Validate() = %v, wantErr %v", err, c.wantErr)
			}
		})
	}
}

// TestConfigureRoutesCallsToTheAPIBase proves the override with a real call
// through stripe-go, then that an empty config restores the defaults.
func TestConfigureRoutesCallsToTheAPIBase(t *testing.T) {
	var gotPath, gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth = r.URL.Path, r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"object":"balance","livemode":false,"available":[{"amount":1200,"currency":"cad"}]}`))
	}))
	defer srv.Close()
	t.Cleanup(func() { billing.Configure(billing.Config{}) })

	mode := billing.Configure(billing.Config{SecretKey: "sk_test_cedar", APIBase: srv.URL})
	if mode != billing.Online {
		t.Fatalf("mode = %q", mode)
	}
	b, err := balance.Get(nil)
	if err != nil {
		t.Fatal(err)
	}
	if gotPath != "/v1/balance" || gotAuth != "Bearer sk_test_cedar" {
		t.Fatalf("request went to %q with %q", gotPath, gotAuth)
	}
	if len(b.Available) != 1 || b.Available[0].Amount != 1200 {
		t.Fatalf("balance = %+v", b.Available)
	}

	if mode := billing.Configure(billing.Config{}); mode != billing.Offline {
		t.Fatalf("mode = %q", mode)
	}
	if stripe.Key != "" {
		t.Fatalf("key kept: %q", stripe.Key)
	}
	impl, ok := stripe.GetBackend(stripe.APIBackend).(*stripe.BackendImplementation)
	if !ok || impl.URL != stripe.APIURL {
		t.Fatalf("backend not restored: %+v", impl)
	}
}
