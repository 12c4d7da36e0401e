package scheduling

import (
	"fmt"
	"time"
)

// CancelledBy says who cancelled a lesson.
type CancelledBy string

const (
	CancelledByFamily  CancelledBy = "family"
	CancelledByAcademy CancelledBy = "academy" // the teacher or the office
)

// MakeupPolicy is the academy's rule for make-up credits.
type MakeupPolicy struct {
	Notice   time.Duration // minimum notice for a family cancellation to earn a credit
	Validity time.Duration // how long a credit can be used
}

// MakeupDecision is the policy's answer for one cancellation; Reason is
// stored with the credit (or the refusal) so the API, the admin UI and
// billing show the same words.
type MakeupDecision struct {
	Credit    bool      `json:"credit"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Decide rules on a cancellation of a lesson starting at start, made at at.
func (p MakeupPolicy) Decide(start, at time.Time, by CancelledBy) MakeupDecision {
	notice := start.Sub(at)
	switch {
	case by == CancelledByAcademy:
		return p.grant(at, "cancelled by the academy")
	case notice >= p.Notice:
		return p.grant(at, fmt.Sprintf("cancelled %s ahead (policy: %s)", roundHours(notice), roundHours(p.Notice)))
	default:
		return MakeupDecision{Reason: fmt.Sprintf("late cancellation: %s ahead, policy needs %s", roundHours(notice), roundHours(p.Notice))}
	}
}

func (p MakeupPolicy) grant(at time.Time, reason string) MakeupDecision {
	return MakeupDecision{Credit: true, Reason: reason, ExpiresAt: at.Add(p.Validity).UTC()}
}

func roundHours(d time.Duration) string {
	if d < 0 {
		return "after the start"
	}
	return fmt.Sprintf("%dh", int(d.Round(time.Hour)/time.Hour))
}
