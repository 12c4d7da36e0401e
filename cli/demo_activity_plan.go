package cli

import (
	"fmt"
	"time"
)

// demo_activity_plan.go: what the academy has been doing, on top of the
// term's timetable: enrollments in every state, money received, lessons
// cancelled with make-up credits, and runs of each workflow. Like the rest
// of the plan it is computed without a database; the loader writes it
// through the same code paths the API uses.

// demoEnrollment is one enrollment made by a run of the enrollment
// workflow. Family is an index into Families, or -1 for a new family
// (NewParent) that enrolls from the public site.
type demoEnrollment struct {
	Key       string // the run's idempotency key
	Outcome   string // what the demo leaves it as: active, pending_confirmation, failed or cancelled
	Family    int
	NewParent demoUser
	First     string
	Last      string
	BirthDate time.Time
	Plan      string // pricing plan name
	// Instrument of the student: a prospect's own, piano for new children.
	Instrument string
	Level      string
}

// Enrollment outcomes.
const (
	outcomeActive    = "active"
	outcomePending   = "pending_confirmation"
	outcomeFailed    = "failed"
	outcomeCancelled = "cancelled"
)

// demoPayment is a payment the office recorded by hand. Reference is its
// key (and what a cheque or transfer would carry).
type demoPayment struct {
	Reference string
	Family    int
	Student   int // index into Students: the enrollment it pays, -1 for none
	Kind      string
	Method    string
	Amount    int // cents
	Received  time.Time
	// Refund, in cents, is handed back by hand afterwards (0: none).
	Refund int
}

// demoEnrollments: three prospects enrolled (one of them cancelled by the
// office afterwards), two new families still to confirm their address and
// two who never did.
func (p *demoPlan) demoEnrollments() []demoEnrollment {
	var out []demoEnrollment
	outcomes := []string{outcomeActive, outcomeActive, outcomeActive, outcomeCancelled}
	for _, s := range p.Students {
		if len(out) == len(outcomes) {
			break
		}
		if s.Status != "prospect" || s.Deleted {
			continue
		}
		out = append(out, demoEnrollment{
			Key: fmt.Sprintf("demo:enrollment:%d", len(out)+1), Outcome: outcomes[len(out)], Family: s.Family,
			First: s.First, Last: s.Last, BirthDate: s.BirthDate, Instrument: s.Instrument, Level: s.Level,
			Plan: pricePlanName("month", 30),
		})
	}
	for n, outcome := range []string{outcomePending, outcomePending, outcomeFailed, outcomeFailed} {
		last := lastNames[(n*11+5)%len(lastNames)]
		out = append(out, demoEnrollment{
			Key: fmt.Sprintf("demo:enrollment:%d", len(out)+1), Outcome: outcome, Family: -1,
			NewParent: demoUser{
				Email: fmt.Sprintf("newfamily%02d@%s", n+1, demoDomain),
				Name:  adultFirstNames[(n*7+3)%len(adultFirstNames)] + " " + last,
				Role:  "parent", Phone: fmt.Sprintf("+1 604 555 7%03d", n+1),
			},
			First: childFirstNames[(n*13+7)%len(childFirstNames)], Last: last,
			BirthDate:  time.Date(p.TermStart.Year()-8-n, time.Month(3+n), 10+n, 0, 0, 0, 0, time.UTC),
			Instrument: "Piano", Level: "beginner", Plan: pricePlanName("month", 30),
		})
	}
	return out
}

// demoPayments: the first twelve families with a weekly lesson paid the
// term's first tuition (cash, cheque or transfer, in turn), four of them a
// registration fee too, and one cash payment was partly handed back.
func (p *demoPlan) demoPayments() []demoPayment {
	var out []demoPayment
	seen := map[int]bool{}
	methods := []string{"cash", "cheque", "transfer"}
	for i, s := range p.Students {
		if s.Slot == nil || seen[s.Family] {
			continue
		}
		n := len(seen)
		if n == 12 {
			break
		}
		seen[s.Family] = true
		received := p.TermStart.AddDate(0, 0, n%5) // civil date: the term's first week
		received = time.Date(received.Year(), received.Month(), received.Day(), 10+n%6, 0, 0, 0, p.Zone).UTC()
		amount := 0
		for _, price := range p.Prices {
			if price.Name == s.Plan {
				amount = price.Amount
			}
		}
		pay := demoPayment{
			Reference: fmt.Sprintf("DEMO-%04d", len(out)+1), Family: s.Family, Student: i, Kind: "tuition",
			Method: methods[n%len(methods)], Amount: amount, Received: received,
		}
		if n == 2 {
			pay.Method, pay.Refund = "cash", amount/4 // a lesson's worth handed back
		}
		out = append(out, pay)
		if n < 4 {
			out = append(out, demoPayment{
				Reference: fmt.Sprintf("DEMO-%04d", len(out)+1), Family: s.Family, Student: -1, Kind: "registration",
				Method: methods[(n+1)%len(methods)], Amount: 2500, Received: received,
			})
		}
	}
	return out
}
