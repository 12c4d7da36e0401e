package enrollment

import (
	"time"

	"cedarheights/scheduling"
	"cedarheights/workflows"
)

// workflow.go: the enrollment run, one per request.
//
//	validate → account → match → hold ─┬─ (new parent) wait_email ─→ confirmed ─┐
//	                                   └─ (confirmed already) ─────────────────┴→ payment
//	payment ─┬─ (set up) ──────────────────────────┐
//	         └─ (pending) payment_wait (≤ hold) ───┴→ record → welcome
//
// Pending: the subscription is incomplete, or trialing with a SetupIntent
// that waits for the family; a setup Stripe reports failed ends the wait
// by failing the run.
//
// A check that fails on the way (the slot taken meanwhile, no teacher left)
// goes to "refuse", which fails the run; a wait that times out fails it
// too. Failing compensates, latest first: cancel the subscription
// (payment), delete the held trial lesson and mark the enrollment failed
// with the reason (hold), tell the family and remove an account or student
// made for nothing (validate).

// Name is the workflow's name.
const Name = "enrollment"

// state is the run's state: what each node found or made, so a retried or
// resumed node finds its own work instead of doing it again.
type state struct {
	In Input `json:"input"`

	Academy     string `json:"academy"`
	Instrument  string `json:"instrument_name"`
	PlanName    string `json:"plan_name"`
	Minutes     int    `json:"minutes"`
	Parent      string `json:"parent"`
	ParentName  string `json:"parent_name"`
	ParentEmail string `json:"parent_email"`
	Verified    bool   `json:"verified"`

	Student        string `json:"student"`
	CreatedStudent bool   `json:"created_student,omitempty"`

	Teacher      string      `json:"teacher"`
	TeacherName  string      `json:"teacher_name"`
	TeacherEmail string      `json:"teacher_email"`
	Starts       []time.Time `json:"starts,omitempty"` // trial starts to try, best first
	Weekday      int         `json:"weekday"`
	StartTime    string      `json:"start_time"`

	Lesson     string    `json:"lesson,omitempty"`
	TrialStart time.Time `json:"trial_start"`
	When       string    `json:"when"` // the trial, in the academy's zone and words
	Enrollment string    `json:"enrollment,omitempty"`

	Payment      string `json:"payment,omitempty"` // offline, trialing, active, incomplete…
	Subscription string `json:"subscription,omitempty"`
	SetupIntent  string `json:"setup_intent,omitempty"` // a trial's card setup waiting for the family

	// Problem is why the run cannot go on (it then fails at "refuse");
	// Alternatives are offered when the slot was taken.
	Problem      string                   `json:"problem,omitempty"`
	Alternatives []scheduling.Alternative `json:"alternatives,omitempty"`

	Mails []string `json:"mails,omitempty"` // welcome mails' outbox keys
}

// Result is what a completed run reports (no account data: the public
// route shows it to anyone holding the run id).
type Result struct {
	Enrollment string    `json:"enrollment"`
	Status     string    `json:"status"`
	Teacher    string    `json:"teacher"`
	TrialStart time.Time `json:"trial_start"`
	When       string    `json:"when"`
	Weekday    int       `json:"weekday"`
	StartTime  string    `json:"start_time"`
	Payment    string    `json:"payment"`
	Mails      int       `json:"mails"`
}

// Enrollment is the definition with the default waits; Start uses the
// one registered (Workflows), whose waits come from the environment.
var Enrollment = define(DefaultConfig)

func define(cfg Config) *workflows.Workflow[Input, state] {
	return workflows.Define(Name, 1,
		func(in Input) state { return state{In: in} },
		workflows.Task("validate", validateNode).Then("valid").Compensate("forget_family"),
		workflows.Router("valid", proceed).Branch("go", "account").Fallback("refuse"),
		workflows.Task("account", accountNode).Then("match"),
		workflows.Task("match", matchNode).Then("matched"),
		workflows.Router("matched", proceed).Branch("go", "hold").Fallback("refuse"),
		workflows.Task("hold", holdNode).Then("held").Compensate("release_hold"),
		workflows.Router("held", func(s *state) string {
			switch {
			case s.Problem != "":
				return "refuse"
			case s.Verified:
				return "pay"
			}
			return "confirm"
		}).Branch("pay", "payment").Branch("confirm", "wait_email").Fallback("refuse"),
		workflows.Wait("wait_email", func(s *state) string { return VerifiedKey(s.Parent) }, cfg.ConfirmTimeout).
			OnTimeout("email_timeout").Then("confirmed"),
		workflows.Task("confirmed", confirmedNode).Then("payment"),
		workflows.Task("payment", paymentNode).Then("paid").Compensate("cancel_payment").Timeout(2*time.Minute),
		workflows.Router("paid", func(s *state) string {
			if s.Payment == "incomplete" || s.Payment == "pending" || s.SetupIntent != "" {
				return "pending"
			}
			return "ready"
		}).Branch("pending", "payment_wait").Fallback("record"),
		workflows.Wait("payment_wait", func(s *state) string { return PaidKey(s.Enrollment) }, cfg.Hold).
			OnEvent(paymentSettled).OnTimeout("payment_timeout").Then("record"),
		workflows.Task("record", recordNode).Then("welcome"),
		workflows.Task("welcome", welcomeNode),

		workflows.Task("refuse", refuseNode),
		workflows.Task("email_timeout", timeoutNode("the e-mail address was not confirmed in time ("+words(cfg.ConfirmTimeout)+"), so the trial slot was given up")),
		workflows.Task("payment_timeout", timeoutNode("the payment was not set up in time ("+words(cfg.Hold)+"), so the trial slot was given up")),

		workflows.Task("forget_family", forgetFamily),
		workflows.Task("release_hold", releaseHold),
		workflows.Task("cancel_payment", cancelPayment).Timeout(2*time.Minute),
	).Result(func(s *state) any {
		return Result{Enrollment: s.Enrollment, Status: "active", Teacher: s.TeacherName, TrialStart: s.TrialStart, When: s.When,
			Weekday: s.Weekday, StartTime: s.StartTime, Payment: s.Payment, Mails: len(s.Mails)}
	})
}

func proceed(s *state) string {
	if s.Problem != "" {
		return "refuse"
	}
	return "go"
}

// VerifiedKey is the event a user's e-mail confirmation signals.
func VerifiedKey(user string) string { return "user_verified:" + user }

// PaidKey is the event an enrollment's payment setup signals when it
// completes after a pending start.
func PaidKey(enrollment string) string { return "enrollment_paid:" + enrollment }

// refuseNode fails the run with the problem found, in plain words.
func refuseNode(s *workflows.Step[state]) error {
	return workflows.Permanent(reason(s.State.Problem))
}

func timeoutNode(why string) func(s *workflows.Step[state]) error {
	return func(s *workflows.Step[state]) error { return workflows.Permanent(reason(why)) }
}

// reason is a failure the family is told as it is.
type reason string

func (r reason) Error() string { return string(r) }

func words(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return itoa(int(d/(24*time.Hour))) + " days"
	case d >= time.Hour && d%time.Hour == 0:
		return itoa(int(d/time.Hour)) + " hours"
	case d >= time.Minute && d%time.Minute == 0:
		return itoa(int(d/time.Minute)) + " minutes"
	}
	return d.String()
}
