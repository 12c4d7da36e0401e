package hooks_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
	"cedarheights/internal/testapp"
)

const apiWebhookSecret = "whsec_api_test"

// billingOnline points the app's billing at a fresh stand-in.
func billingOnline(t testing.TB, app *tests.TestApp) *stripestub.Server {
	stub := stripestub.New(t)
	stub.WebhookSecret = apiWebhookSecret
	billing.Use(app, billing.Config{SecretKey: "sk_test_stub", WebhookSecret: apiWebhookSecret, APIBase: stub.URL})
	return stub
}

func onlineBefore(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) { billingOnline(t, app) }

func offlineBefore(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
	billing.Use(app, billing.Config{})
}

// withKey adds an Idempotency-Key to a fixture account's headers.
func withKey(a testapp.Account, key string) map[string]string {
	h := apiAs(a)
	h["Idempotency-Key"] = key
	return h
}

func TestPaymentsList(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/payments"
	apiRun(t, []tests.ApiScenario{
		{Name: "anonymous is 401", Method: http.MethodGet, URL: url, ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{
			Name: "parent A sees its own family's payments only", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.PaymentA),
		},
		{
			Name: "parent A asking for family B gets nothing", Method: http.MethodGet, URL: url + "?family=" + f.ParentB.ID,
			Headers: apiAs(f.ParentA), ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":0`},
		},
		{
			Name: "parent B sees its own", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.ParentB), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.PaymentB),
		},
		{
			Name: "a teacher sees none", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.TeacherXUser), ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":0`},
		},
		{
			Name: "admin sees all", Method: http.MethodGet, URL: url,
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.PaymentA, f.PaymentB),
		},
		{
			Name: "admin filters by method", Method: http.MethodGet, URL: url + "?method=cash",
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"items":`},
			AfterTestFunc: apiExpectIDs(f.PaymentB),
		},
		{
			Name: "admin sorts by amount", Method: http.MethodGet, URL: url + "?sort=-amount&per_page=1",
			Headers: apiAs(f.Admin), ExpectedStatus: 200, ExpectedContent: []string{`"id":"` + f.PaymentA + `"`, `"totalItems":2`},
		},
		{
			Name: "invalid filters are 400 naming each", Method: http.MethodGet, URL: url + "?status=lost&kind=bribe&method=bitcoin&family=a%20b&sort=fee",
			Headers: apiAs(f.Admin), ExpectedStatus: 400,
			ExpectedContent: []string{`"status":{"code"`, `"kind":{`, `"method":{`, `"family":{`, `"sort":{`},
		},
	})
}

func TestPaymentsProcess(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	url := "/api/v1/payments/process"
	body := func(extra map[string]any) *strings.Reader {
		b := map[string]any{"amount": 5000, "kind": "registration", "payment_method": "pm_card_visa", "description": "Registration"}
		for k, v := range extra {
			b[k] = v
		}
		return apiBody(b)
	}
	paymentsOf := func(family string) func(testing.TB, *tests.TestApp, *http.Response) {
		return func(t testing.TB, app *tests.TestApp, res *http.Response) {
			n, _ := app.CountRecords("payments", dbx.HashExp{"family": family, "idempotency_key": "api-key-00000001"})
			if n != 1 {
				t.Fatalf("%d payments recorded", n)
			}
		}
	}
	apiRun(t, []tests.ApiScenario{
		{Name: "anonymous is 401", Method: http.MethodPost, URL: url, Body: body(nil), ExpectedStatus: 401, ExpectedContent: []string{`"status":401`}},
		{
			Name: "no Idempotency-Key is 400 naming the header", Method: http.MethodPost, URL: url, Body: body(nil),
			Headers: apiAs(f.ParentA), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 400, ExpectedContent: []string{`"Idempotency-Key":{"code":"validation_required"`},
		},
		{
			Name: "offline is 503 and says what works", Method: http.MethodPost, URL: url, Body: body(nil),
			Headers: withKey(f.ParentA, "api-key-00000001"), BeforeTestFunc: offlineBefore,
			ExpectedStatus: 503, ExpectedContent: []string{`Billing is offline`, `cash, cheque and transfer`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if n := apiCount(t, app, "payments"); n != 2 {
					t.Errorf("%d payments", n)
				}
			},
		},
		{
			Name: "parent A pays for its family", Method: http.MethodPost, URL: url, Body: body(nil),
			Headers: withKey(f.ParentA, "api-key-00000001"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"succeeded"`, `"requires_action":false`, `"family":"` + f.ParentA.ID + `"`},
			NotExpectedContent: []string{`client_secret`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				paymentsOf(f.ParentA.ID)(t, app, res)
				n, _ := app.CountRecords("ledger_entries", dbx.HashExp{"family": f.ParentA.ID})
				if n != 2 {
					t.Errorf("%d ledger entries", n)
				}
			},
		},
		{
			Name: "parent A paying for family B is 404", Method: http.MethodPost, URL: url, Body: body(map[string]any{"family": f.ParentB.ID}),
			Headers: withKey(f.ParentA, "api-key-00000001"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "a teacher is not a family", Method: http.MethodPost, URL: url, Body: body(nil),
			Headers: withKey(f.TeacherXUser, "api-key-00000001"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 400, ExpectedContent: []string{`"family":{"code"`},
		},
		{
			Name: "admin pays for family B", Method: http.MethodPost, URL: url, Body: body(map[string]any{"family": f.ParentB.ID, "enrollment": f.EnrollmentB1}),
			Headers: withKey(f.Admin, "api-key-00000001"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"succeeded"`, `"family":"` + f.ParentB.ID + `"`},
			AfterTestFunc: paymentsOf(f.ParentB.ID),
		},
		{
			Name: "another family's enrollment is 400", Method: http.MethodPost, URL: url, Body: body(map[string]any{"enrollment": f.EnrollmentB1}),
			Headers: withKey(f.ParentA, "api-key-00000001"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 400, ExpectedContent: []string{`"enrollment":{"code"`},
		},
		{
			Name: "a decline is 402 naming the payment method, recorded as failed", Method: http.MethodPost, URL: url,
			Body:    body(map[string]any{"payment_method": "pm_card_chargeDeclined"}),
			Headers: withKey(f.ParentA, "api-key-00000001"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 402, ExpectedContent: []string{`"status":402`, `"payment_method":{"code":"card_declined"`, `"status":"failed"`},
			AfterTestFunc: paymentsOf(f.ParentA.ID),
		},
		{
			Name: "3-D Secure returns the client secret", Method: http.MethodPost, URL: url,
			Body:    body(map[string]any{"payment_method": "pm_card_threeDSecure2Required"}),
			Headers: withKey(f.ParentA, "api-key-00000001"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 201, ExpectedContent: []string{`"requires_action":true`, `"client_secret":"pi_`, `"status":"requires_action"`},
		},
		{
			Name: "a replayed key returns the first payment", Method: http.MethodPost, URL: url, Body: body(nil),
			Headers: withKey(f.ParentA, "api-key-00000001"),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				billingOnline(t, app)
				req := billing.PaymentRequest{Family: f.ParentA.ID, Amount: 5000, Kind: "registration", PaymentMethod: "pm_card_visa", IdempotencyKey: "api-key-00000001"}
				if _, err := billing.From(app).ProcessPayment(t.Context(), req); err != nil {
					t.Fatal(err)
				}
			},
			ExpectedStatus: 200, ExpectedContent: []string{`"replayed":true`, `"status":"succeeded"`},
			AfterTestFunc: paymentsOf(f.ParentA.ID),
		},
		{
			Name: "the key reused for another amount is 409", Method: http.MethodPost, URL: url, Body: body(map[string]any{"amount": 9999}),
			Headers: withKey(f.ParentA, "api-key-00000001"),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
				billingOnline(t, app)
				req := billing.PaymentRequest{Family: f.ParentA.ID, Amount: 5000, Kind: "registration", PaymentMethod: "pm_card_visa", IdempotencyKey: "api-key-00000001"}
				if _, err := billing.From(app).ProcessPayment(t.Context(), req); err != nil {
					t.Fatal(err)
				}
			},
			ExpectedStatus: 409, ExpectedContent: []string{`"Idempotency-Key":{"code":"validation_idempotency_conflict"`},
		},
		{
			Name: "wrong types and bad values are 400 naming each field", Method: http.MethodPost, URL: url,
			Body:    apiBody(map[string]any{"amount": "lots", "kind": "bribe", "payment_method": 42, "currency": "CAD", "description": true}),
			Headers: withKey(f.ParentA, "api-key-00000001"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 400, ExpectedContent: []string{`"amount":{`, `"payment_method":{`, `"description":{`},
		},
		{
			Name: "values the fields refuse are 400", Method: http.MethodPost, URL: url,
			Body:    apiBody(map[string]any{"amount": 12.5, "kind": "bribe", "payment_method": "card", "currency": "CAD"}),
			Headers: withKey(f.ParentA, "api-key-00000001"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 400, ExpectedContent: []string{`"amount":{`},
		},
		{
			Name: "refused values name the field", Method: http.MethodPost, URL: url,
			Body:    apiBody(map[string]any{"amount": 0, "kind": "bribe", "payment_method": "card", "currency": "CAD"}),
			Headers: withKey(f.ParentA, "api-key-00000001"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 400, ExpectedContent: []string{`"amount":{`, `"kind":{`, `"payment_method":{`, `"currency":{`},
		},
		{
			Name: "a short key is 400", Method: http.MethodPost, URL: url, Body: body(nil),
			Headers: withKey(f.ParentA, "abc"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 400, ExpectedContent: []string{`"Idempotency-Key":{`},
		},
		{
			Name: "malformed JSON is 400", Method: http.MethodPost, URL: url, Body: strings.NewReader(`{"amount":`),
			Headers: withKey(f.ParentA, "api-key-00000001"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 400, ExpectedContent: []string{`"status":400`},
		},
		{
			Name: "an oversized body is 413", Method: http.MethodPost, URL: url, Body: apiOversized("description"),
			Headers: withKey(f.ParentA, "api-key-00000001"), BeforeTestFunc: onlineBefore,
			ExpectedStatus: 413, ExpectedContent: []string{`"status":413`},
		},
	})
}

func TestPaymentsRecordAndRefund(t *testing.T) {
	t.Parallel()
	f := testapp.Get(t)
	record := "/api/v1/payments/record"
	refund := "/api/v1/payments/" + f.PaymentB + "/refund"
	cash := map[string]any{"family": f.ParentB.ID, "amount": 14000, "kind": "tuition", "method": "cash", "description": "November", "reference": "receipt book 12"}
	apiRun(t, []tests.ApiScenario{
		{
			Name: "a parent cannot record a payment", Method: http.MethodPost, URL: record, Body: apiBody(cash),
			Headers: apiAs(f.ParentB), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if n := apiCount(t, app, "ledger_entries"); n != 0 {
					t.Errorf("%d entries", n)
				}
			},
		},
		{
			Name: "admin records a cash payment offline: ledger, receipt, audit", Method: http.MethodPost, URL: record, Body: apiBody(cash),
			Headers: apiAs(f.Admin), BeforeTestFunc: offlineBefore,
			ExpectedStatus: 201, ExpectedContent: []string{`"status":"succeeded"`, `"method":"cash"`, `"reference":"receipt book 12"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				id := apiDecode(t, res)["id"].(string)
				entries, _ := app.FindAllRecords("ledger_entries", dbx.HashExp{"payment": id})
				if len(entries) != 2 {
					t.Fatalf("%d entries", len(entries))
				}
				apiAudited(t, app, f.Admin, "create", "ledger_entries", entries[0].Id)
				apiAudited(t, app, f.Admin, "create", "payments", id)
				if n, _ := app.CountRecords("billing_notices", dbx.HashExp{"payment": id, "kind": "receipt"}); n != 1 {
					t.Errorf("%d receipts", n)
				}
			},
		},
		{
			Name: "bad values name each field", Method: http.MethodPost, URL: record,
			Body:    apiBody(map[string]any{"family": f.ParentB.ID, "amount": -1, "kind": "tuition", "method": "stripe", "received_at": "yesterday"}),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"received_at":{`},
		},
		{
			Name: "bad values name each field after the types", Method: http.MethodPost, URL: record,
			Body:    apiBody(map[string]any{"family": f.ParentB.ID, "amount": -1, "kind": "tuition", "method": "stripe"}),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"amount":{`, `"method":{`},
		},
		{
			Name: "a teacher as family is 400", Method: http.MethodPost, URL: record,
			Body:    apiBody(map[string]any{"family": f.TeacherXUser.ID, "amount": 100, "kind": "other", "method": "cash"}),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"family":{`},
		},
		{
			Name: "parent B cannot refund its own payment", Method: http.MethodPost, URL: refund, Body: apiBody(map[string]any{}),
			Headers: apiAs(f.ParentB), ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if s := apiField(t, app, "payments", f.PaymentB, "status"); s != "succeeded" {
					t.Errorf("status %s", s)
				}
			},
		},
		{
			Name: "parent A cannot see family B's payment", Method: http.MethodPost, URL: refund, Body: apiBody(map[string]any{}),
			Headers: apiAs(f.ParentA), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "a teacher cannot see it either", Method: http.MethodPost, URL: refund, Body: apiBody(map[string]any{}),
			Headers: apiAs(f.TeacherYUser), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "admin refunds part of a cash payment", Method: http.MethodPost, URL: refund, Body: apiBody(map[string]any{"amount": 2000}),
			Headers: apiAs(f.Admin), BeforeTestFunc: offlineBefore,
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"partially_refunded"`, `"amount_refunded":2000`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				entries, _ := app.FindAllRecords("ledger_entries", dbx.HashExp{"payment": f.PaymentB})
				sum := 0
				for _, e := range entries {
					sum += e.GetInt("amount")
					apiAudited(t, app, f.Admin, "create", "ledger_entries", e.Id)
				}
				if len(entries) != 2 || sum != 0 {
					t.Errorf("%d entries summing to %d", len(entries), sum)
				}
			},
		},
		{
			Name: "admin refunding more than was paid is 400 on amount", Method: http.MethodPost, URL: refund, Body: apiBody(map[string]any{"amount": 5001}),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"amount":{"code":"validation_refund_too_large"`},
		},
		{
			Name: "a bad amount and reason are 400", Method: http.MethodPost, URL: refund, Body: apiBody(map[string]any{"amount": "all", "reason": 3}),
			Headers: apiAs(f.Admin), ExpectedStatus: 400, ExpectedContent: []string{`"amount":{`, `"reason":{`},
		},
		{
			Name: "an unknown payment is 404", Method: http.MethodPost, URL: "/api/v1/payments/nosuchpayment00/refund", Body: apiBody(map[string]any{}),
			Headers: apiAs(f.Admin), ExpectedStatus: 404, ExpectedContent: []string{`"status":404`},
		},
		{
			Name: "Stripe unreachable: 502, and the amount stays held", Method: http.MethodPost, URL: "/api/v1/payments/" + f.PaymentA + "/refund", Body: apiBody(map[string]any{"amount": 4000}),
			Headers: apiAs(f.Admin),
			BeforeTestFunc: func(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
				billing.Use(app, billing.Config{SecretKey: "sk_test_stub", WebhookSecret: apiWebhookSecret, APIBase: "http://127.0.0.1:1"})
			},
			ExpectedStatus: 502, ExpectedContent: []string{`"status":502`, `stays held`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if n, _ := app.CountRecords("refund_holds", dbx.HashExp{"payment": f.PaymentA, "status": "pending", "amount": 4000}); n != 1 {
					t.Errorf("%d pending holds", n)
				}
			},
		},
		{
			Name: "a malformed Idempotency-Key is 400 naming it", Method: http.MethodPost, URL: refund, Body: apiBody(map[string]any{"amount": 100}),
			Headers: withKey(f.Admin, "short"), ExpectedStatus: 400, ExpectedContent: []string{`"Idempotency-Key":{`},
		},
		{
			Name: "a card payment offline cannot be refunded: 503", Method: http.MethodPost, URL: "/api/v1/payments/" + f.PaymentA + "/refund", Body: apiBody(map[string]any{}),
			Headers: apiAs(f.Admin), BeforeTestFunc: offlineBefore, ExpectedStatus: 503, ExpectedContent: []string{`Billing is offline`},
		},
	})
}
