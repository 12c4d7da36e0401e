package offers

import (
	"regexp"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// view.go: an offer as the link in its mail shows it (the link's handlers
// are in hooks/offersapi). The token in the path is the family's key to
// its offer (like a password-reset link: no sign-in, and without it nothing
// is found).

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9]{32,64}$`)

// View is an offer as its link shows it: no ids of people, no e-mail.
type View struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"` // open, taken, gone, expired
	Kind       string    `json:"kind"`   // makeup or move
	Student    string    `json:"student"`
	Instrument string    `json:"instrument"`
	Teacher    string    `json:"teacher"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	When       string    `json:"when"`
	ExpiresAt  time.Time `json:"expires_at"`
	MovesFrom  string    `json:"moves_from,omitempty"` // a move: the lesson's time before
	Booked     string    `json:"booked,omitempty"`     // the lesson booked or moved
}

// ViewOf is offer as its link shows it.
func ViewOf(app core.App, offer *core.Record) (View, error) {
	sl, err := describeSlot(app, offer)
	if err != nil {
		return View{}, err
	}
	v := View{
		ID: offer.Id, Status: offer.GetString("status"), Kind: offer.GetString("kind"),
		Instrument: sl.InstrumentName, Teacher: sl.TeacherName, Start: sl.Start, End: sl.End,
		When: whenWords(sl.Start, sl.Zone), ExpiresAt: offer.GetDateTime("expires_at").Time(),
		Booked: offer.GetString("booked"),
	}
	if v.Status == "open" && !time.Now().Before(v.ExpiresAt) {
		v.Status = "expired" // the run marks it so in a moment
	}
	if st, err := app.FindRecordById("students", offer.GetString("student")); err == nil {
		v.Student = st.GetString("first_name")
	}
	if v.Kind == "move" {
		v.MovesFrom = whenWords(offer.GetDateTime("moves_start").Time(), sl.Zone)
	}
	return v, nil
}
