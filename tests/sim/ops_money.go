package sim

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"cedarheights/billing/stripestub"
)

// ops_money.go: enrollments, card payments, refunds, disputes, renewals,
// plan changes, withdrawals, and freed-slot offers.

func stripeDelivery() stripestub.Delivery { return stripestub.Delivery{} }

// opEnroll: a family enrolls another child with a Saturday trial. About
// one in six is invalid (a bad birth date or an unknown plan): 400, and
// nothing is written.
func (s *Sim) opEnroll() {
	f := pick(s, s.m.families)
	n := s.nextStu
	s.nextStu++
	inst := pianoID
	if s.rng.IntN(3) == 0 {
		inst = violinID
	}
	st := &student{family: f.id, instrument: inst, name: fmt.Sprintf("Enrolled%04d", n)}
	t, at, ok := "", time.Time{}, false
	for range 20 {
		t = teacherID(pick(s, gridTeachers(inst)))
		at = s.cal.at(s.week+1, cell{day: 5, k: s.rng.IntN(7)})
		if !s.m.busy(t, "", at) && !s.m.blocked(s.cal, t, at) {
			ok = true
			break
		}
	}
	if !ok {
		return
	}
	body := map[string]any{
		"parent":         map[string]any{"id": f.id},
		"student":        map[string]any{"first_name": st.name, "last_name": "Sim", "birth_date": "2016-03-04", "instrument": inst},
		"plan":           planID,
		"trial":          map[string]any{"teacher": t, "start": at.Format(time.RFC3339)},
		"payment_method": "pm_card_visa",
	}
	invalid := s.rng.IntN(6) == 0
	if invalid {
		if s.rng.IntN(2) == 0 {
			body["student"].(map[string]any)["birth_date"] = "2016-13-45"
		} else {
			body["plan"] = "nosuchplan00000"
		}
	}
	s.count("enroll")
	a := s.c.call(http.MethodPost, "/api/v1/enrollments?wait=10000", f.token, body)
	if invalid {
		if a.status == 0 {
			s.cut = true
		} else if a.status < 400 || a.status >= 500 {
			s.problem("invalid enrollment: %s", a)
		}
		return
	}
	if !s.expect(a, "enrollment", http.StatusOK, http.StatusCreated) {
		return
	}
	var run struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	a.decode(&run)
	if run.Status != "completed" {
		s.problem("enrollment run %s: %s %s", run.ID, run.Status, run.Error)
		return
	}
	s.learnStudent(st, f)
}

// learnStudent reads back what an enrollment made: the student, its
// enrollment, its trial lesson.
func (s *Sim) learnStudent(st *student, f *family) {
	rows, err := s.c.records(s.super, "students", fmt.Sprintf("parent = '%s' && first_name = '%s'", f.id, st.name))
	if err != nil || len(rows) != 1 {
		s.problem("enrolled student %s: %d records (%v)", st.name, len(rows), err)
		return
	}
	st.id = rows[0]["id"].(string)
	s.m.students[st.id] = st
	ens, err := s.c.records(s.super, "enrollments", fmt.Sprintf("student = '%s'", st.id))
	if err != nil || len(ens) != 1 {
		s.problem("student %s: %d enrollments (%v)", st.id, len(ens), err)
		return
	}
	st.enrollment, _ = ens[0]["id"].(string)
	st.subscription, _ = ens[0]["stripe_subscription_id"].(string)
	st.plan = planID
	if c, _ := ens[0]["stripe_customer_id"].(string); c != "" {
		f.customer = c
	}
	ls, err := s.c.records(s.super, "lessons", fmt.Sprintf("student = '%s'", st.id))
	if err != nil || len(ls) != 1 {
		s.problem("student %s: %d trial lessons (%v)", st.id, len(ls), err)
		return
	}
	s.m.add(lessonFromRecord(ls[0]))
}

func lessonFromRecord(r map[string]any) *lesson {
	str := func(k string) string { v, _ := r[k].(string); return v }
	start, _ := time.Parse(pbTime, str("start"))
	return &lesson{id: str("id"), teacher: str("teacher"), student: str("student"), start: start.UTC(), kind: str("kind"), status: str("status"), series: str("series")}
}

// pay charges a family's card once (a retry with the same key must not
// charge again) and returns the payment when it succeeded.
func (s *Sim) pay(f *family, amount int64, pm, key string) (answer, *payment) {
	s.count("payment")
	a := s.c.call(http.MethodPost, "/api/v1/payments/process", f.token,
		map[string]any{"amount": amount, "kind": "lesson_package", "payment_method": pm, "currency": currency, "description": "sim lessons"},
		"Idempotency-Key", key)
	if !a.ok() {
		return a, nil
	}
	var out struct {
		Payment struct {
			ID     string `json:"id"`
			Intent string `json:"stripe_payment_intent_id"`
		} `json:"payment"`
		Status   string `json:"status"`
		Replayed bool   `json:"replayed"`
	}
	if err := a.decode(&out); err != nil || out.Status != "succeeded" {
		s.problem("payment %s: %s", key, a)
		return a, nil
	}
	return a, &payment{id: out.Payment.ID, family: f.id, intent: out.Payment.Intent, amount: amount}
}

// opPayment: a family buys lessons; one in four is declined first and
// paid with another card after; one in four retries with the same key.
func (s *Sim) opPayment() {
	f := pick(s, s.m.families)
	amount := int64(1000 + 500*s.rng.IntN(30))
	key := s.key("pay")
	if s.rng.IntN(4) == 0 {
		a, p := s.pay(f, amount, "pm_card_chargeDeclined", key)
		if p != nil {
			s.problem("declined card charged: %s", a)
		} else if a.status != 0 {
			s.expect(a, "declined card", http.StatusPaymentRequired)
		}
		key = s.key("pay-recovery")
	}
	a, p := s.pay(f, amount, "pm_card_visa", key)
	if !s.expect(a, "payment", http.StatusCreated) || p == nil {
		return
	}
	s.m.payments = append(s.m.payments, p)
	f.paid += amount
	if s.rng.IntN(4) == 0 {
		again, _ := s.pay(f, amount, "pm_card_visa", key)
		s.expect(again, "payment retried with its key", http.StatusOK)
	}
}

func (s *Sim) refundable() []*payment {
	var out []*payment
	for _, p := range s.m.payments {
		if p.refunded < p.amount && !p.disputed {
			out = append(out, p)
		}
	}
	return out
}

func (s *Sim) refund(p *payment, amount int64) answer {
	s.count("refund")
	return s.c.call(http.MethodPost, "/api/v1/payments/"+p.id+"/refund", s.admin, map[string]any{"amount": amount, "reason": "requested_by_customer"})
}

func (s *Sim) opRefund() {
	ps := s.refundable()
	if len(ps) == 0 {
		return
	}
	p := pick(s, ps)
	amount := 1 + s.rng.Int64N(p.amount-p.refunded)
	if s.expect(s.refund(p, amount), "refund", http.StatusOK) {
		p.refunded += amount
	}
}

// opRefundBurst: four refunds of 60 % of one fresh payment at once: one
// goes through; the payment is never refunded beyond its amount.
func (s *Sim) opRefundBurst() {
	f := pick(s, s.m.families)
	amount := int64(5000 + 500*s.rng.IntN(10))
	a, p := s.pay(f, amount, "pm_card_visa", s.key("pay-burst"))
	if !s.expect(a, "payment before refunds", http.StatusCreated) || p == nil {
		return
	}
	s.m.payments = append(s.m.payments, p)
	f.paid += amount
	part := amount * 6 / 10
	answers := make([]answer, 4)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() { defer wg.Done(); answers[i] = s.refund(p, part) }()
	}
	wg.Wait()
	won := 0
	for _, a := range answers {
		switch {
		case a.status == 0:
			s.cut = true
		case a.ok():
			won++
		case a.status >= 500:
			s.problem("refund burst: %s", a)
		}
	}
	s.count("refund-burst")
	if won != 1 && !s.cut {
		s.problem("four refunds of 60 %% of %s: %d went through", p.id, won)
	}
	p.refunded += int64(won) * part
}

// opDispute: a family's bank disputes a payment. Half of the time a
// refund made in Stripe's dashboard just before reaches the server only
// after the dispute: the payment must stay disputed (and so refuse
// refunds) until the dispute closes.
func (s *Sim) opDispute() {
	ps := s.refundable()
	if len(ps) == 0 {
		return
	}
	p := pick(s, ps)
	if p.refunded > 0 || p.intent == "" {
		return
	}
	s.deliverEvents()
	var late []map[string]any
	if s.rng.IntN(2) == 0 {
		amount := 100 + s.rng.Int64N(p.amount/2)
		s.e.stub.RefundOutside(p.intent, amount)
		late = s.e.stub.Pending()
		p.refunded += amount
	}
	s.count("dispute")
	s.e.stub.Dispute(p.intent, "fraudulent", false)
	p.disputed = true
	s.deliverEvents()
	if !s.await(p, func(r map[string]any) bool { return r["status"] == "disputed" }) {
		s.events = append(s.events, late...) // Stripe keeps sending them
		return
	}
	if late == nil {
		return
	}
	s.events = append(s.events, late...)
	s.deliverEvents()
	if !s.await(p, func(r map[string]any) bool { return int64(num(r["amount_refunded"])) == p.refunded }) {
		return
	}
	a := s.c.call(http.MethodGet, "/api/collections/payments/records/"+p.id, s.super, nil)
	var r map[string]any
	if a.decode(&r) == nil && r["status"] != "disputed" {
		s.problem("payment %s: a refund recorded after its dispute made it %v", p.id, r["status"])
	}
}

// await polls a payment until cond holds (webhooks are processed after
// they are answered); false, with a problem, after ten seconds.
func (s *Sim) await(p *payment, cond func(map[string]any) bool) bool {
	var r map[string]any
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		a := s.c.call(http.MethodGet, "/api/collections/payments/records/"+p.id, s.super, nil)
		if a.status == 0 {
			s.cut = true
			return false
		}
		r = nil
		if a.decode(&r) == nil && cond(r) {
			return true
		}
		s.deliverEvents()
	}
	s.problem("payment %s: webhooks not applied after 10 s: %v", p.id, r)
	return false
}

func (s *Sim) subscribed() []*student {
	var out []*student
	for _, st := range s.m.sortedStudents() {
		if st.subscription != "" && !st.withdrawn {
			out = append(out, st)
		}
	}
	return out
}

// opRenew bills a subscription's next month; one in four cards is
// declined first and recovers on Stripe's retry.
func (s *Sim) opRenew() {
	sts := s.subscribed()
	if len(sts) == 0 {
		return
	}
	st := pick(s, sts)
	f := s.familyOf(st.id)
	decline := s.rng.IntN(4) == 0 && f.customer != ""
	if decline {
		s.e.stub.Decline(f.customer, "card_declined")
	}
	s.count("renew")
	inv := s.e.stub.Renew(st.subscription)
	if decline {
		s.deliverEvents()
		s.e.stub.Decline(f.customer, "")
		if inv != "" {
			s.count("renew-retry")
			s.e.stub.Retry(inv)
		}
	}
}

func (s *Sim) opPlanChange() {
	sts := s.subscribed()
	if len(sts) == 0 {
		return
	}
	st := pick(s, sts)
	next := plan45ID
	if st.plan == plan45ID {
		next = planID
	}
	s.count("plan-change")
	a := s.c.call(http.MethodPatch, "/api/v1/enrollments/"+st.enrollment+"/subscription", s.admin, map[string]any{"plan": next})
	if s.expect(a, "plan change", http.StatusOK) {
		st.plan = next
	}
}

// opWithdraw: the subscription ends at the period's end; the office
// cancels the student's lessons from next week.
func (s *Sim) opWithdraw() {
	sts := s.subscribed()
	if len(sts) == 0 {
		return
	}
	st := pick(s, sts)
	s.count("withdraw")
	a := s.c.call(http.MethodPost, "/api/v1/enrollments/"+st.enrollment+"/subscription/withdraw", s.admin, nil)
	if !s.expect(a, "withdraw", http.StatusOK) {
		return
	}
	st.withdrawn = true
	// The weekly series in one call (scope=following), then the rest.
	for _, l := range s.m.liveOf(st.id, s.cal.at(s.week+1, cell{})) {
		if l.series != "" && l.status == "scheduled" && !l.unsure {
			s.cancelScope(l, "academy", true, "following")
			break
		}
	}
	for _, l := range s.m.liveOf(st.id, s.cal.at(s.week+1, cell{})) {
		if l.status == "scheduled" {
			s.cancel(l, "academy", true)
		}
	}
}

// opOffer: the open offers of one freed slot are accepted at once by every
// family offered it: one gets the lesson (spending its credit), the
// others are told it is gone; accepting again books nothing new.
func (s *Sim) opOffer() {
	rows, err := s.c.records(s.super, "slot_offers", "status = 'open'")
	if err != nil || len(rows) == 0 {
		return
	}
	byRun := map[string][]map[string]any{}
	for _, r := range rows {
		run, _ := r["run"].(string)
		byRun[run] = append(byRun[run], r)
	}
	runs := sortedKeys(byRun)
	offers := byRun[pick(s, runs)]
	answers := make([]answer, len(offers))
	var wg sync.WaitGroup
	for i, o := range offers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.count("offer-accept")
			answers[i] = s.c.call(http.MethodPost, "/api/v1/offers/"+o["token"].(string)+"/accept", "", nil)
		}()
	}
	wg.Wait()
	won := 0
	for i, a := range answers {
		switch {
		case a.status == 0:
			s.cut = true
		case a.ok():
			var out struct {
				Lesson string `json:"lesson"`
				Again  bool   `json:"again"`
			}
			a.decode(&out)
			won++
			s.learnLesson(out.Lesson, offers[i])
			again := s.c.call(http.MethodPost, "/api/v1/offers/"+offers[i]["token"].(string)+"/accept", "", nil)
			var twice struct {
				Lesson string `json:"lesson"`
				Again  bool   `json:"again"`
			}
			if s.expect(again, "offer accepted twice", http.StatusOK) {
				if again.decode(&twice); !twice.Again || twice.Lesson != out.Lesson {
					s.problem("offer accepted twice: %s", again)
				}
			}
		case a.status >= 500:
			s.problem("offer accept: %s", a)
		}
	}
	if won > 1 {
		s.problem("one freed slot, %d acceptances won", won)
	}
}

// learnLesson adds a lesson the server booked (an offer's) to the model.
func (s *Sim) learnLesson(id string, offer map[string]any) {
	a := s.c.call(http.MethodGet, "/api/collections/lessons/records/"+id, s.super, nil)
	var r map[string]any
	if !s.expect(a, "offered lesson", http.StatusOK) || a.decode(&r) != nil {
		return
	}
	l := lessonFromRecord(r)
	if s.m.busy(l.teacher, l.student, l.start) {
		s.problem("offer booked %s where the model holds a live lesson", id)
	}
	s.m.add(l)
	if l.kind == "makeup" {
		if st := s.m.students[l.student]; st != nil {
			st.credits--
		}
	}
}

// opPaymentRace: one payment sent four times at once with one
// Idempotency-Key (a double click, a retrying client): one charge at
// Stripe, one payment on the server, every answer naming it.
func (s *Sim) opPaymentRace() {
	f := pick(s, s.m.families)
	amount := int64(2000 + 500*s.rng.IntN(20))
	key := s.key("pay-race")
	before := s.e.stub.Count("payment_intent")
	answers := make([]answer, 4)
	pays := make([]*payment, 4)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() { defer wg.Done(); answers[i], pays[i] = s.pay(f, amount, "pm_card_visa", key) }()
	}
	wg.Wait()
	s.count("payment-race")
	ids := map[string]bool{}
	for i, a := range answers {
		switch {
		case a.status == 0:
			s.cut = true
		case pays[i] != nil:
			ids[pays[i].id] = true
		case a.status >= 500:
			s.problem("payment race: %s", a)
		case a.status != http.StatusConflict:
			s.problem("payment race: %s", a)
		}
	}
	if s.cut {
		return
	}
	if len(ids) != 1 {
		s.problem("four payments with key %s: %d payments answered", key, len(ids))
	}
	if n := s.e.stub.Count("payment_intent") - before; n != 1 {
		s.problem("four payments with key %s: %d charges at Stripe", key, n)
	}
	for _, p := range pays {
		if p != nil {
			s.m.payments = append(s.m.payments, p)
			f.paid += amount
			break
		}
	}
	// The same key with another amount is a different request: refused.
	other, p := s.pay(f, amount+100, "pm_card_visa", key)
	if p != nil {
		s.problem("key %s reused for another amount charged again: %s", key, other)
		s.m.payments = append(s.m.payments, p)
		f.paid += amount + 100
	} else if other.status != 0 && (other.status < 400 || other.status >= 500) {
		s.problem("key %s reused for another amount: %s", key, other)
	}
}

// opRefundRefused: refunds the server must refuse with a 4xx: more than
// what is left of a payment, and any refund of a disputed one.
func (s *Sim) opRefundRefused() {
	var target *payment
	overRefund := s.rng.IntN(2) == 0
	for _, p := range s.m.payments {
		if (overRefund && !p.disputed && p.refunded < p.amount) || (!overRefund && p.disputed) {
			target = p
		}
	}
	if target == nil {
		return
	}
	amount := target.amount - target.refunded + 1
	if !overRefund {
		amount = 100
	}
	a := s.refund(target, amount)
	switch {
	case a.status == 0:
		s.cut = true
	case a.ok():
		s.problem("refund of %d on payment %s (amount %d, refunded %d, disputed %v) went through: %s", amount, target.id, target.amount, target.refunded, target.disputed, a)
		target.refunded += amount
	case a.status >= 500:
		s.problem("refund refused with a server error: %s", a)
	}
}

// opCancelEnrollment: the office cancels an enrollment: its run cancels
// the subscription at once and deletes the trial lesson still ahead.
func (s *Sim) opCancelEnrollment() {
	sts := s.subscribed()
	if len(sts) == 0 {
		return
	}
	st := pick(s, sts)
	s.count("cancel-enrollment")
	a := s.c.call(http.MethodPost, "/api/v1/enrollments/"+st.enrollment+"/cancel?wait=10000", s.admin, map[string]any{"reason": "the family moved away"})
	if !s.expect(a, "cancel enrollment", http.StatusOK) {
		return
	}
	var run struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if a.decode(&run); run.Status != "completed" {
		s.problem("enrollment %s cancelled: run %s %s", st.enrollment, run.Status, run.Error)
		return
	}
	if sub := s.e.stub.Get(st.subscription); sub == nil || sub["status"] != "canceled" {
		s.problem("enrollment %s cancelled: subscription %s is %v at Stripe", st.enrollment, st.subscription, sub["status"])
	}
	for _, id := range sortedKeys(s.m.lessons) {
		l := s.m.lessons[id]
		if l.student != st.id || l.kind != "trial" || l.start.Before(time.Now()) {
			continue
		}
		switch got := s.c.call(http.MethodGet, "/api/collections/lessons/records/"+l.id, s.super, nil); {
		case got.status == http.StatusNotFound:
			s.m.remove(l)
		case l.live():
			s.problem("enrollment %s cancelled: its trial %s ahead is still there: %s", st.enrollment, l.id, got)
		}
	}
	st.withdrawn, st.subscription = true, ""
}
