package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/stripe/stripe-go/v76"
)

// The next-invoice preview: what the family will be asked for next and
// why, line by line. Online it is Stripe's upcoming invoice of each of the
// family's subscriptions, each line tied back to the enrollment, plan and
// period it bills (a proration says what changed); offline it is each
// active enrollment's plan amount. Either way the ledger balance carried
// over is shown beside it.

// PreviewLine is one line of the next invoice.
type PreviewLine struct {
	Enrollment  string `json:"enrollment,omitempty"`
	Description string `json:"description"`
	Explanation string `json:"explanation"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	PeriodStart string `json:"period_start,omitempty"`
	PeriodEnd   string `json:"period_end,omitempty"`
	Proration   bool   `json:"proration"`
}

// Preview is a family's next invoice.
type Preview struct {
	Family  string        `json:"family"`
	Source  string        `json:"source"` // stripe | offline
	Lines   []PreviewLine `json:"lines"`
	Totals  []Balance     `json:"totals"`
	Balance []Balance     `json:"balance"` // the ledger balance today
	DueOn   string        `json:"due_on,omitempty"`
	Notes   []string      `json:"notes"`
}

// Preview explains the family's next invoice.
func (s *Service) Preview(ctx context.Context, family string) (Preview, error) {
	if _, err := loadFamily(s.app, family); err != nil {
		return Preview{}, err
	}
	p := Preview{Family: family, Lines: []PreviewLine{}, Notes: []string{}}
	balance, err := Balances(s.app, family)
	if err != nil {
		return p, err
	}
	p.Balance = balance
	for _, b := range balance {
		switch {
		case b.Amount > 0:
			p.Notes = append(p.Notes, "Outstanding from earlier: "+FormatMoney(b.Amount, b.Currency)+" (see the ledger).")
		case b.Amount < 0:
			p.Notes = append(p.Notes, "Credit on the account: "+FormatMoney(-b.Amount, b.Currency)+".")
		}
	}
	enrollments, err := familyEnrollments(s.app, family)
	if err != nil {
		return p, err
	}

	if s.Online() {
		p.Source = "stripe"
		err = s.stripePreview(ctx, &p, enrollments)
	} else {
		p.Source = "offline"
		err = offlinePreview(s.app, &p, enrollments)
	}
	if err != nil {
		return p, err
	}
	totals := map[string]int64{}
	var order []string
	for _, l := range p.Lines {
		if _, ok := totals[l.Currency]; !ok {
			order = append(order, l.Currency)
		}
		totals[l.Currency] += l.Amount
	}
	p.Totals = []Balance{}
	for _, c := range order {
		p.Totals = append(p.Totals, Balance{Currency: c, Amount: totals[c]})
	}
	if len(p.Lines) == 0 {
		p.Notes = append(p.Notes, "Nothing is scheduled to be billed.")
	}
	return p, nil
}

type enrollmentInfo struct {
	record  *core.Record
	plan    *core.Record
	student string
	teacher string
}

func familyEnrollments(app core.App, family string) ([]enrollmentInfo, error) {
	records, err := app.FindRecordsByFilter("enrollments", "student.parent = {:f}", "created", 0, 0, dbx.Params{"f": family})
	if err != nil {
		return nil, err
	}
	errs := app.ExpandRecords(records, []string{"student", "teacher", "plan"}, nil)
	if len(errs) > 0 {
		for _, e := range errs {
			return nil, e
		}
	}
	out := make([]enrollmentInfo, 0, len(records))
	for _, r := range records {
		info := enrollmentInfo{record: r, plan: r.ExpandedOne("plan")}
		if st := r.ExpandedOne("student"); st != nil {
			info.student = st.GetString("first_name") + " " + st.GetString("last_name")
		}
		if t := r.ExpandedOne("teacher"); t != nil {
			info.teacher = t.GetString("display_name")
		}
		out = append(out, info)
	}
	return out, nil
}

func (e enrollmentInfo) who() string {
	if e.teacher == "" {
		return e.student
	}
	return e.student + " with " + e.teacher
}

func (s *Service) stripePreview(ctx context.Context, p *Preview, enrollments []enrollmentInfo) error {
	customer, err := CustomerID(s.app, p.Family)
	if err != nil {
		return err
	}
	if customer == "" {
		p.Notes = append(p.Notes, "The family has no Stripe customer yet: nothing is billed through Stripe.")
		return offlinePreview(s.app, p, enrollments)
	}
	plans := map[string]string{} // plan id → name
	if all, err := s.app.FindAllRecords("pricing_plans"); err == nil {
		for _, pl := range all {
			plans[pl.Id] = pl.GetString("name")
		}
	}
	for _, e := range enrollments {
		sub := e.record.GetString("stripe_subscription_id")
		if sub == "" {
			continue
		}
		params := &stripe.InvoiceUpcomingParams{Customer: stripe.String(customer), Subscription: stripe.String(sub)}
		params.Context = ctx
		inv, err := s.sc.Invoices.Upcoming(params)
		var se *stripe.Error
		if errors.As(err, &se) && (se.Code == stripe.ErrorCodeInvoiceUpcomingNone || se.HTTPStatusCode == 404) {
			p.Notes = append(p.Notes, "No upcoming invoice for "+e.who()+" (the subscription ends or is cancelled).")
			continue
		}
		if err != nil {
			return fmt.Errorf("upcoming invoice of %s: %w", sub, err)
		}
		if inv.NextPaymentAttempt > 0 {
			p.DueOn = day(inv.NextPaymentAttempt)
		} else if inv.PeriodEnd > 0 && p.DueOn == "" {
			p.DueOn = day(inv.PeriodEnd)
		}
		if inv.Lines == nil {
			continue
		}
		for _, l := range inv.Lines.Data {
			line := PreviewLine{
				Enrollment: e.record.Id, Description: l.Description, Amount: l.Amount,
				Currency: string(l.Currency), Proration: l.Proration,
			}
			planName := ""
			if l.Price != nil {
				planName = plans[l.Price.Metadata[MetaPlan]]
			}
			if planName == "" && e.plan != nil {
				planName = e.plan.GetString("name")
			}
			if l.Period != nil {
				line.PeriodStart, line.PeriodEnd = day(l.Period.Start), day(l.Period.End)
			}
			switch {
			case l.Proration && l.Amount < 0:
				line.Explanation = fmt.Sprintf("Credit for the unused time on the previous plan of %s, %s to %s.", e.who(), line.PeriodStart, line.PeriodEnd)
			case l.Proration:
				line.Explanation = fmt.Sprintf("%s for the rest of the period after a plan change (%s), %s to %s.", planName, e.who(), line.PeriodStart, line.PeriodEnd)
			case l.Period != nil:
				line.Explanation = fmt.Sprintf("%s tuition for %s, %s to %s.", planName, e.who(), line.PeriodStart, line.PeriodEnd)
			default:
				line.Explanation = fmt.Sprintf("One-time item for %s.", e.who())
			}
			p.Lines = append(p.Lines, line)
		}
	}
	return nil
}

// offlinePreview bills each active enrollment's plan for its next period.
func offlinePreview(app core.App, p *Preview, enrollments []enrollmentInfo) error {
	now := time.Now().UTC()
	for _, e := range enrollments {
		status := e.record.GetString("status")
		if (status != "active" && status != "past_due") || e.plan == nil {
			continue
		}
		amount := int64(e.plan.GetInt("amount"))
		if amount <= 0 {
			continue
		}
		interval := e.plan.GetString("interval")
		per := map[string]string{"month": "month", "semester": "semester", "school_year": "monthly installment of the school year"}[interval]
		p.Lines = append(p.Lines, PreviewLine{
			Enrollment:  e.record.Id,
			Description: e.plan.GetString("name"),
			Explanation: fmt.Sprintf("%s: %s per %s for %s, %d lessons of %d minutes.", e.plan.GetString("name"),
				FormatMoney(amount, e.plan.GetString("currency")), per, e.who(), e.plan.GetInt("lessons_per_period"), e.plan.GetInt("lesson_minutes")),
			Amount:   amount,
			Currency: e.plan.GetString("currency"),
		})
	}
	if p.Source == "offline" {
		p.Notes = append(p.Notes, "Billing is offline: amounts are the plans' and are collected by hand (cash, cheque, transfer). As of "+now.Format("2 January 2006")+".")
	}
	return nil
}
