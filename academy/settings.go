// Package academy reads the academy's one settings record (name, IANA time
// zone, currency, lesson buffer, cancellation notice) for the code that
// needs it.
package academy

import (
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Settings are the academy-wide scheduling and billing settings.
type Settings struct {
	Name     string
	Zone     *time.Location
	Currency string
	// Buffer is the minimum gap between two lessons of one teacher.
	Buffer time.Duration
	// CancellationNotice is the notice a family must give for a make-up.
	CancellationNotice time.Duration
}

// MakeupValidity is how long a make-up credit can be used.
const MakeupValidity = 90 * 24 * time.Hour

// Load reads the settings record. It takes core.App so a transaction can
// pass its own.
func Load(app core.App) (Settings, error) {
	r, err := app.FindFirstRecordByFilter("academy", "")
	if err != nil {
		return Settings{}, fmt.Errorf("academy settings: %w", err)
	}
	zone, err := time.LoadLocation(r.GetString("timezone"))
	if err != nil {
		return Settings{}, fmt.Errorf("academy time zone: %w", err)
	}
	return Settings{
		Name:               r.GetString("name"),
		Zone:               zone,
		Currency:           r.GetString("currency"),
		Buffer:             time.Duration(r.GetInt("buffer_minutes")) * time.Minute,
		CancellationNotice: time.Duration(r.GetInt("cancellation_notice_hours")) * time.Hour,
	}, nil
}
