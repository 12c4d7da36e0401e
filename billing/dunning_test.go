package billing_test

import (
	"strings"
	"testing"

	"github.com/pocketbase/dbx"

	"cedarheights/billing"
	"cedarheights/billing/stripestub"
)

// A declined renewal: the family is told at each attempt with a link to
// fix the card, the enrollment stays active while Stripe retries, goes
// past due after the final failure (the admin is told), and comes back
// when the invoice is finally paid.
func TestDeclineDunningPastDue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := e.subscribeA1(0)
	e.deliver()
	customer := e.record("enrollments", e.f.EnrollmentA1).GetString("stripe_customer_id")
	e.stub.Decline(customer, "insufficient_funds")

	invoice := e.stub.Renew(sub)
	e.deliver()
	enr := e.record("enrollments", e.f.EnrollmentA1)
	if enr.GetString("status") != "active" {
		t.Fatalf("after the first failure the enrollment is %s; Stripe is still retrying", enr.GetString("status"))
	}
	notices, err := e.app.FindAllRecords("billing_notices", dbx.HashExp{"kind": billing.NoticePaymentFailed})
	if err != nil || len(notices) != 1 {
		t.Fatalf("%d dunning notices (%v)", len(notices), err)
	}
	n := notices[0]
	if n.GetString("family") != e.f.ParentA.ID || n.GetString("email") != e.f.ParentA.Email || n.GetString("audience") != "family" {
		t.Errorf("notice to %s <%s>", n.GetString("family"), n.GetString("email"))
	}
	// The link fixes the card (the billing page that opens the portal);
	// the body also offers the invoice's own page.
	if !strings.HasSuffix(n.GetString("link"), "/account/billing") || !strings.Contains(n.GetString("body"), n.GetString("link")) ||
		!strings.Contains(n.GetString("body"), invoice) || !strings.Contains(n.GetString("body"), "try again") {
		t.Errorf("notice link %q body %q", n.GetString("link"), n.GetString("body"))
	}
	// The notice went to the email outbox with the link in the text.
	mail, err := e.app.FindRecordById("email_outbox", n.GetString("outbox_id"))
	if err != nil || n.GetString("status") != "enqueued" || mail.GetString("to") != e.f.ParentA.Email || !strings.Contains(mail.GetString("text"), invoice) {
		t.Errorf("outbox %v %v", mail, err)
	}
	p, _ := e.app.FindFirstRecordByData("payments", "stripe_invoice_id", invoice)
	if p == nil || p.GetString("status") != billing.StatusFailed {
		t.Fatalf("payment %v", p)
	}
	if b := e.balance(e.f.ParentA.ID); b != 14000 {
		t.Errorf("balance %d, want the unpaid 14000", b)
	}

	for i := 2; i <= stripestub.MaxAttempts; i++ {
		if e.stub.Retry(invoice) {
			t.Fatal("a declined retry succeeded")
		}
		e.deliver()
	}
	enr = e.record("enrollments", e.f.EnrollmentA1)
	if enr.GetString("status") != "past_due" {
		t.Fatalf("after the final failure the enrollment is %s", enr.GetString("status"))
	}
	if got := e.count("billing_notices", dbx.HashExp{"kind": billing.NoticePaymentFailed, "family": e.f.ParentA.ID}); got != stripestub.MaxAttempts {
		t.Errorf("%d dunning notices, want one per attempt (%d)", got, stripestub.MaxAttempts)
	}
	admin, err := e.app.FindAllRecords("billing_notices", dbx.HashExp{"kind": billing.NoticePastDue})
	if err != nil || len(admin) != 1 || admin[0].GetString("recipient") != e.f.Admin.ID || admin[0].GetString("audience") != "admin" {
		t.Fatalf("admin notices %v %v", admin, err)
	}
	if n := e.count("email_outbox", dbx.HashExp{"to": e.f.Admin.Email}); n != 1 {
		t.Errorf("%d past-due mails to the admin", n)
	}
	// Replaying every event changes nothing.
	for _, ev := range e.stub.Events() {
		e.stub.Deliver(ev, stripestub.Delivery{})
	}
	e.svc.Flush()
	if got := e.count("billing_notices", dbx.HashExp{"kind": billing.NoticePaymentFailed}); got != stripestub.MaxAttempts {
		t.Errorf("replay sent more notices: %d", got)
	}

	// The family fixes its card and pays the open invoice.
	e.stub.Decline(customer, "")
	if !e.stub.Retry(invoice) {
		t.Fatal("payment after the fix failed")
	}
	e.deliver()
	if s := e.record("enrollments", e.f.EnrollmentA1).GetString("status"); s != "active" {
		t.Errorf("after payment the enrollment is %s", s)
	}
	if b := e.balance(e.f.ParentA.ID); b != 0 {
		t.Errorf("balance %d after paying", b)
	}
	if n := e.count("ledger_entries", dbx.HashExp{"stripe_object": invoice, "kind": billing.KindCharge}); n != 1 {
		t.Errorf("%d charges for the invoice", n)
	}
}
