package migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The enrollment workflow (enrollment/) writes an enrollment as soon as it
// holds the trial slot: pending_confirmation while a new parent has not yet
// confirmed the e-mail address, failed (with the reason in plain words) when
// the run compensated. run names the workflow run, trial_lesson the held
// trial, source where the request came from. The public enrollment route
// gets a rate limit of its own: it creates accounts and sends mail.
var publicEnrollmentRateLimit = core.RateLimitRule{Label: "POST /api/v1/public/enrollments", MaxRequests: 5, Duration: 300}

var enrollmentStatuses = []string{"pending", "active", "paused", "past_due", "cancelled", "withdrawn"}

func init() {
	m.Register(func(app core.App) error {
		c, err := app.FindCollectionByNameOrId(idEnrollments)
		if err != nil {
			return err
		}
		status := c.Fields.GetByName("status").(*core.SelectField)
		status.Values = append(slices.Clone(enrollmentStatuses), "pending_confirmation", "failed")
		c.Fields.Add(
			&core.TextField{Name: "failure_reason", Max: 1000, Help: "why the enrollment failed, in plain words"},
			&core.TextField{Name: "run", Max: 64, Help: "the enrollment's workflow run"},
			relation("trial_lesson", idLessons, false),
			&core.SelectField{Name: "source", Values: []string{"public", "parent", "admin"}, MaxSelect: 1},
		)
		c.AddIndex("idx_enrollments_run", false, "`run`", "")
		c.AddIndex("idx_enrollments_trial_lesson", false, "`trial_lesson`", "")
		if err := app.Save(c); err != nil {
			return err
		}
		s := app.Settings()
		if !slices.ContainsFunc(s.RateLimits.Rules, func(r core.RateLimitRule) bool { return r.Label == publicEnrollmentRateLimit.Label }) {
			s.RateLimits.Rules = append([]core.RateLimitRule{publicEnrollmentRateLimit}, s.RateLimits.Rules...)
			return app.Save(s)
		}
		return nil
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId(idEnrollments)
		if err != nil {
			return err
		}
		c.Fields.GetByName("status").(*core.SelectField).Values = slices.Clone(enrollmentStatuses)
		for _, f := range []string{"failure_reason", "run", "trial_lesson", "source"} {
			c.Fields.RemoveByName(f)
		}
		c.RemoveIndex("idx_enrollments_run")
		c.RemoveIndex("idx_enrollments_trial_lesson")
		if err := app.Save(c); err != nil {
			return err
		}
		s := app.Settings()
		s.RateLimits.Rules = slices.DeleteFunc(s.RateLimits.Rules, func(r core.RateLimitRule) bool { return r.Label == publicEnrollmentRateLimit.Label })
		return app.Save(s)
	})
}
