package migrations

import (
	"github.com/pocketbase/pocketbase/core"
)

// Money is always an integer amount of the currency's minor unit (cents).

func pricingPlansCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("pricing_plans", idPricingPlans)
	c.Fields.Add(
		&core.TextField{Name: "name", Required: true, Max: 100, Presentable: true},
		&core.NumberField{Name: "lesson_minutes", Required: true, OnlyInt: true, Min: ptr(15.0), Max: ptr(180.0)},
		&core.NumberField{Name: "lessons_per_period", Required: true, OnlyInt: true, Min: ptr(1.0), Max: ptr(200.0)},
		&core.SelectField{Name: "interval", Values: []string{"month", "semester", "school_year"}, MaxSelect: 1, Required: true},
		&core.NumberField{Name: "amount", OnlyInt: true, Min: minZero(), Max: ptr(100_000_000.0), Help: "minor units, e.g. cents"},
		&core.TextField{Name: "currency", Required: true, Pattern: currencyPattern, Help: "ISO 4217, lower case"},
		&core.TextField{Name: "stripe_price_id", Max: 255},
		&core.BoolField{Name: "public"},
		&core.BoolField{Name: "active"},
		created(), updated(),
	)
	c.AddIndex("idx_pricing_plans_public_active", false, "`public`, `active`", "")
	c.AddIndex("idx_pricing_plans_amount", false, "`amount`", "")
	c.ListRule = rule(or("public = true && active = true", isAdmin))
	c.ViewRule = c.ListRule
	c.CreateRule = rule(isAdmin)
	c.UpdateRule = rule(isAdmin)
	c.DeleteRule = rule(isAdmin)
	return c, nil
}

func enrollmentsCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("enrollments", idEnrollments)
	c.Fields.Add(
		relation("student", idStudents, true),
		relation("teacher", idTeachers, true),
		relation("plan", idPricingPlans, true),
		&core.SelectField{Name: "status", Values: []string{"pending", "active", "paused", "past_due", "cancelled", "withdrawn"}, MaxSelect: 1, Required: true},
		&core.NumberField{Name: "weekday", OnlyInt: true, Min: minZero(), Max: ptr(6.0), Help: "weekly slot: 0 = Sunday"},
		&core.TextField{Name: "start_time", Pattern: clockPattern, Help: "weekly slot: HH:MM academy time"},
		&core.DateField{Name: "start_date", Required: true},
		&core.TextField{Name: "stripe_customer_id", Max: 255},
		&core.TextField{Name: "stripe_subscription_id", Max: 255},
		created(), updated(),
	)
	c.AddIndex("idx_enrollments_student", false, "`student`", "")
	c.AddIndex("idx_enrollments_teacher", false, "`teacher`", "")
	c.AddIndex("idx_enrollments_status", false, "`status`", "")
	c.AddIndex("idx_enrollments_stripe_subscription", false, "`stripe_subscription_id`", "")
	// Enrollments carry billing ids: the family reads its own, teachers none.
	c.ListRule = rule(or(isParent+" && student.parent = @request.auth.id", isAdmin))
	c.ViewRule = c.ListRule
	c.CreateRule = rule(isAdmin)
	c.UpdateRule = rule(isAdmin)
	c.DeleteRule = rule(isAdmin)
	return c, nil
}

func paymentsCollection(app core.App) (*core.Collection, error) {
	c := core.NewBaseCollection("payments", idPayments)
	c.Fields.Add(
		relation("family", "_pb_users_auth_", true),
		relation("enrollment", idEnrollments, false),
		&core.NumberField{Name: "amount", Required: true, OnlyInt: true, Min: ptr(1.0), Max: ptr(100_000_000.0), Help: "minor units, e.g. cents"},
		&core.TextField{Name: "currency", Required: true, Pattern: currencyPattern},
		&core.SelectField{Name: "status", Values: []string{"pending", "requires_action", "succeeded", "failed", "refunded", "partially_refunded"}, MaxSelect: 1, Required: true},
		&core.SelectField{Name: "kind", Values: []string{"tuition", "registration", "materials", "lesson_package", "other"}, MaxSelect: 1, Required: true},
		&core.SelectField{Name: "method", Values: []string{"stripe", "cash", "cheque", "transfer"}, MaxSelect: 1},
		&core.TextField{Name: "description", Max: 500},
		&core.TextField{Name: "stripe_payment_intent_id", Max: 255},
		&core.TextField{Name: "stripe_invoice_id", Max: 255},
		created(), updated(),
	)
	c.AddIndex("idx_payments_family_created", false, "`family`, `created`", "")
	c.AddIndex("idx_payments_enrollment", false, "`enrollment`", "")
	c.AddIndex("idx_payments_status", false, "`status`", "")
	c.AddIndex("idx_payments_stripe_pi", false, "`stripe_payment_intent_id`", "")
	// Families read their own history; money is written by the academy.
	c.ListRule = rule(or(isParent+" && family = @request.auth.id", isAdmin))
	c.ViewRule = c.ListRule
	c.CreateRule = rule(isAdmin)
	c.UpdateRule = rule(isAdmin)
	c.DeleteRule = nil
	return c, nil
}
