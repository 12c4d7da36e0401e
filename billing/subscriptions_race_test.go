package billing_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Ten admins subscribe one enrollment at once through the route: Stripe
// sees one subscription (the request's idempotency key is the
// enrollment's), and the enrollment mirrors it.
func TestSubscribeRaceMakesOneSubscription(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.syncPlans()
	enr := e.record("enrollments", e.f.EnrollmentA1)
	enr.Set("stripe_subscription_id", "")
	if err := e.app.Save(enr); err != nil {
		t.Fatal(err)
	}
	codes := make([]int, 10)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/enrollments/"+e.f.EnrollmentA1+"/subscription", strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", e.f.Admin.Token)
			<-start
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			codes[i] = res.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	for _, c := range codes {
		if c != http.StatusCreated && c != http.StatusBadRequest {
			t.Errorf("a subscribe answered %d", c)
		}
	}
	if n := e.stub.Count("subscription"); n != 1 {
		t.Errorf("%d subscriptions at Stripe", n)
	}
	subs := e.stub.All("subscription")
	if got := e.record("enrollments", e.f.EnrollmentA1).GetString("stripe_subscription_id"); len(subs) == 0 || got != subs[0]["id"] {
		t.Errorf("the enrollment mirrors %q", got)
	}
}
