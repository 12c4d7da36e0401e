package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A subscription with a trial charges nothing at first, so Stripe starts it
// trialing and puts a card that needs the family's authentication in the
// subscription's pending_setup_intent. billing mirrors that SetupIntent on
// the enrollment while it waits for the family (its setup_intent.* events
// name only the SetupIntent, so the id is how they find the enrollment),
// and Stripe's words when the setup failed; the enrollment workflow waits on
// the first and compensates on the second.
func init() {
	m.Register(func(app core.App) error {
		c, err := app.FindCollectionByNameOrId(idEnrollments)
		if err != nil {
			return err
		}
		c.Fields.Add(
			&core.TextField{Name: "stripe_setup_intent", Max: 255, Help: "the subscription's SetupIntent while it waits for the family, mirrored"},
			&core.TextField{Name: "stripe_setup_error", Max: 500, Help: "why Stripe could not set the card up, in Stripe's words"},
		)
		c.AddIndex("idx_enrollments_stripe_setup_intent", false, "`stripe_setup_intent`", "`stripe_setup_intent` != ''")
		return app.Save(c)
	}, func(app core.App) error {
		c, err := app.FindCollectionByNameOrId(idEnrollments)
		if err != nil {
			return err
		}
		c.RemoveIndex("idx_enrollments_stripe_setup_intent")
		c.Fields.RemoveByName("stripe_setup_intent")
		c.Fields.RemoveByName("stripe_setup_error")
		return app.Save(c)
	})
}
