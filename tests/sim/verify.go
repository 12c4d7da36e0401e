package sim

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"cedarheights/tests/crash"
)

// verify.go: the model against the server, as it goes (reconcile after a
// kill) and at the end, then doctor on the data dir.

// reconcile adopts what requests cut by a kill left on the server: a
// lesson, a status, a credit or a payment the driver never heard about.
func (s *Sim) reconcile() error {
	rows, err := s.c.records(s.super, "lessons", "")
	if err != nil {
		return err
	}
	for _, r := range rows {
		got := lessonFromRecord(r)
		if l := s.m.lessons[got.id]; l != nil {
			if l.status != got.status {
				s.m.set(l, got.status)
			}
			l.unsure = false
			continue
		}
		if !s.m.busy(got.teacher, got.student, got.start) || !got.live() {
			s.m.add(got)
		} else {
			s.m.add(got) // verify names the double booking
		}
	}
	if err := s.adoptCredits(); err != nil {
		return err
	}
	pays, err := s.c.records(s.super, "payments", "method = 'stripe' && kind = 'lesson_package'")
	if err != nil {
		return err
	}
	known := map[string]*payment{}
	for _, p := range s.m.payments {
		known[p.id] = p
	}
	for _, r := range pays {
		id, _ := r["id"].(string)
		refunded := int64(num(r["amount_refunded"]))
		if p := known[id]; p != nil {
			p.refunded = refunded
			continue
		}
		if st, _ := r["status"].(string); st == "succeeded" || st == "partially_refunded" || st == "refunded" || st == "disputed" {
			fam, _ := r["family"].(string)
			intent, _ := r["stripe_payment_intent_id"].(string)
			p := &payment{id: id, family: fam, intent: intent, amount: int64(num(r["amount"])), refunded: refunded}
			s.m.payments = append(s.m.payments, p)
			for _, f := range s.m.families {
				if f.id == fam {
					f.paid += p.amount
				}
			}
		}
	}
	s.cut = false
	return nil
}

// adoptCredits sets each student's open credits to the server's.
func (s *Sim) adoptCredits() error {
	open, err := s.openCredits()
	if err != nil {
		return err
	}
	for _, st := range s.m.students {
		st.credits = open[st.id]
	}
	return nil
}

func (s *Sim) openCredits() (map[string]int, error) {
	rows, err := s.c.records(s.super, "makeup_credits", fmt.Sprintf("used_by = '' && revoked_at = '' && expires > '%s'", time.Now().UTC().Format(pbTime)))
	if err != nil {
		return nil, err
	}
	open := map[string]int{}
	for _, r := range rows {
		st, _ := r["student"].(string)
		open[st]++
	}
	return open, nil
}

// awaitEvents waits until the server has processed every stored Stripe
// event: a webhook is answered when stored and applied by a workflow run
// after, one that failed (a kill, an order that moved) only on its retry,
// seconds later. Comparing with Stripe before reads a state still on its
// way. One still waiting after a minute is a problem.
func (s *Sim) awaitEvents() error {
	var waiting []map[string]any
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		var err error
		waiting, err = s.c.records(s.super, "stripe_events", "status != 'processed' && status != 'ignored'")
		if err != nil {
			return err
		}
		if len(waiting) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for i, ev := range waiting {
		if i == 5 {
			s.problem("%d Stripe events in all not processed after a minute", len(waiting))
			break
		}
		s.problem("Stripe event %v (%v) not processed after a minute: %v %v", ev["event_id"], ev["type"], ev["status"], ev["error"])
	}
	return nil
}

func num(v any) float64 { f, _ := v.(float64); return f }

// verify ends the year: the last webhooks and their processing,
// attendance, then every check.
func (s *Sim) verify() error {
	for range 5 {
		s.deliverEvents()
		if len(s.events) == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(s.events) > 0 {
		s.problem("%d webhooks never answered 200", len(s.events))
	}
	if err := s.awaitEvents(); err != nil {
		return err
	}
	s.markAttendance()
	if s.cut {
		if err := s.reconcile(); err != nil {
			return err
		}
	}
	if err := s.checkLessons(); err != nil {
		return err
	}
	open, err := s.openCredits()
	if err != nil {
		return err
	}
	for _, st := range s.m.sortedStudents() {
		if open[st.id] != st.credits {
			s.problem("student %s: %d open make-up credits, the model counts %d", st.id, open[st.id], st.credits)
		}
	}
	if err := s.checkMoney(); err != nil {
		return err
	}
	if err := s.checkStripe(); err != nil {
		return err
	}
	return s.checkMail()
}

// checkLessons: every acknowledged lesson exists once with its status;
// nothing the driver never heard of; no teacher or student booked twice.
func (s *Sim) checkLessons() error {
	rows, err := s.c.records(s.super, "lessons", "")
	if err != nil {
		return err
	}
	onServer := map[string]*lesson{}
	for _, r := range rows {
		l := lessonFromRecord(r)
		onServer[l.id] = l
	}
	for _, id := range sortedKeys(s.m.lessons) {
		l := s.m.lessons[id]
		got := onServer[id]
		switch {
		case got == nil:
			s.problem("acknowledged lesson %s is gone", id)
		case got.status != l.status:
			s.problem("lesson %s: server %s, model %s", id, got.status, l.status)
		}
	}
	for _, id := range sortedKeys(onServer) {
		if s.m.lessons[id] == nil {
			s.problem("lesson %s on the server was never acknowledged (%s %s %s)", id, onServer[id].teacher, onServer[id].student, onServer[id].start)
		}
	}
	by := map[string][]*lesson{}
	for _, l := range onServer {
		if l.live() {
			by["teacher "+l.teacher] = append(by["teacher "+l.teacher], l)
			by["student "+l.student] = append(by["student "+l.student], l)
		}
	}
	length := lessonMinutes * time.Minute
	for _, who := range sortedKeys(by) {
		ls := by[who]
		sortLessons(ls)
		gap := time.Duration(0)
		if strings.HasPrefix(who, "teacher") {
			gap = bufferMinutes * time.Minute
		}
		for i := 1; i < len(ls); i++ {
			if ls[i].start.Before(ls[i-1].start.Add(length + gap)) {
				s.problem("%s double booked: %s at %s and %s at %s", who, ls[i-1].id, ls[i-1].start, ls[i].id, ls[i].start)
			}
		}
	}
	return nil
}

// checkMoney: what the driver paid by card equals the payments on the
// server, refunds never exceed their payment, each ledger adds up.
func (s *Sim) checkMoney() error {
	rows, err := s.c.records(s.super, "payments", "method = 'stripe' && kind = 'lesson_package'")
	if err != nil {
		return err
	}
	paid := map[string]int64{}
	server := map[string]map[string]any{}
	for _, r := range rows {
		st, _ := r["status"].(string)
		if st == "succeeded" || st == "partially_refunded" || st == "refunded" || st == "disputed" {
			fam, _ := r["family"].(string)
			paid[fam] += int64(num(r["amount"]))
		}
		if num(r["amount_refunded"]) > num(r["amount"]) {
			s.problem("payment %v refunded %v of %v", r["id"], r["amount_refunded"], r["amount"])
		}
		server[r["id"].(string)] = r
	}
	for _, f := range s.m.families {
		if paid[f.id] != f.paid {
			s.problem("family %s: paid %d by card, the server holds %d", f.id, f.paid, paid[f.id])
		}
	}
	for _, p := range s.m.payments {
		r := server[p.id]
		if r == nil {
			a := s.c.call(http.MethodGet, "/api/collections/payments/records/"+p.id, s.super, nil)
			s.problem("acknowledged payment %s (%d, family %s) is not a card payment of lessons: %s", p.id, p.amount, p.family, a)
			continue
		}
		if got := int64(num(r["amount_refunded"])); got != p.refunded && !p.disputed {
			s.problem("payment %s: refunded %d on the server, %d acknowledged", p.id, got, p.refunded)
		}
	}
	for _, f := range s.m.families {
		s.count("ledger")
		a := s.c.call(http.MethodGet, "/api/v1/billing/families/"+f.id+"/ledger", s.admin, nil)
		var out struct {
			Balance []struct {
				Currency string `json:"currency"`
				Amount   int64  `json:"amount"`
			} `json:"balance"`
			Entries []struct {
				Kind     string `json:"kind"`
				Amount   int64  `json:"amount"`
				Currency string `json:"currency"`
				Payment  string `json:"payment"`
			} `json:"entries"`
		}
		if !s.expect(a, "ledger", http.StatusOK) || a.decode(&out) != nil {
			continue
		}
		sum := map[string]int64{}
		paidIn, paidOut, entries := map[string]int64{}, map[string]int64{}, map[string]int{}
		for _, e := range out.Entries {
			sum[e.Currency] += e.Amount
			switch e.Kind {
			case "payment":
				paidIn[e.Payment] -= e.Amount
				entries[e.Payment]++
			case "refund":
				paidOut[e.Payment] += e.Amount
			}
		}
		// Each card payment the driver made is in its family's ledger
		// exactly once, and so is every refund of it.
		for _, p := range s.m.payments {
			if p.family != f.id {
				continue
			}
			if entries[p.id] != 1 || paidIn[p.id] != p.amount {
				s.problem("payment %s of %d: %d ledger entries for %d", p.id, p.amount, entries[p.id], paidIn[p.id])
			}
			if !p.disputed && paidOut[p.id] != p.refunded {
				s.problem("payment %s: refunded %d, the ledger's refunds add to %d", p.id, p.refunded, paidOut[p.id])
			}
		}
		for _, b := range out.Balance {
			if sum[b.Currency] != b.Amount {
				s.problem("family %s ledger: balance %d %s, entries add to %d", f.id, b.Amount, b.Currency, sum[b.Currency])
			}
		}
	}
	return nil
}

// checkMail: every message the outbox marks sent reached mailpit (by
// recipient and subject), across the kills.
func (s *Sim) checkMail() error {
	sent, err := s.c.records(s.super, "email_outbox", "status = 'sent'")
	if err != nil {
		return err
	}
	msgs, err := s.e.mail.WaitForCount(len(sent), 20*time.Second)
	if err != nil {
		return err
	}
	s.mails = len(msgs)
	got := map[string]int{}
	for _, m := range msgs {
		for _, a := range m.To {
			got[strings.ToLower(a.Address)+" | "+m.Subject]++
		}
	}
	missing := 0
	for _, r := range sent {
		for _, to := range strings.Split(fmt.Sprint(r["to"]), ",") {
			k := strings.ToLower(strings.TrimSpace(to)) + " | " + fmt.Sprint(r["subject"])
			if got[k] == 0 {
				missing++
				if missing <= 5 {
					s.problem("outbox message %v marked sent never reached the SMTP server: %s", r["id"], k)
				}
				continue
			}
			got[k]--
		}
	}
	if missing > 5 {
		s.problem("%d sent messages in all never reached the SMTP server", missing)
	}
	return nil
}

// doctor runs the binary's invariant checker on the data dir (the server
// stopped); a violation or a failure to run it fails the simulation.
func (s *Sim) doctor() string {
	out, err := s.e.runBinary("doctor", "--dir", s.e.dir)
	if err != nil {
		if _, exit := err.(*exec.ExitError); exit {
			s.problem("doctor found violations:\n%s", out)
			s.keepDataDir()
			return "violations"
		}
		s.problem("doctor: %v\n%s", err, out)
		return "failed"
	}
	s.t.Logf("sim: doctor: clean\n%s", strings.TrimSpace(out))
	return "clean"
}

// Summary is the run's figures in a few lines.
func (r *Result) Summary() string {
	kinds := sortedKeys(r.ByKind)
	sort.Slice(kinds, func(i, j int) bool { return r.ByKind[kinds[i]] > r.ByKind[kinds[j]] })
	var b strings.Builder
	fmt.Fprintf(&b, "%d operations in %.1f s (%.0f ops/s), %d kill -9 restarts, doctor: %s\n", r.Ops, r.Wall.Seconds(),
		float64(r.Ops)/r.Wall.Seconds(), r.Restarts, r.Doctor)
	for _, k := range kinds {
		fmt.Fprintf(&b, "  %-22s %5d\n", k, r.ByKind[k])
	}
	return b.String()
}

// keepDataDir copies the data dir into the module's bin/sim/ for a look
// after the test (its temporary dir is removed).
func (s *Sim) keepDataDir() {
	root, err := crash.ModuleRoot()
	if err != nil {
		return
	}
	dst := filepath.Join(root, "bin", "sim", fmt.Sprintf("data-seed-%d", s.cfg.Seed))
	os.RemoveAll(dst)
	if out, err := exec.Command("cp", "-r", s.e.dir, dst).CombinedOutput(); err != nil {
		s.t.Logf("sim: keeping the data dir: %v %s", err, out)
		return
	}
	s.t.Logf("sim: the data dir is kept in %s", dst)
}
