package offers

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/academy"
	"cedarheights/audit"
)

// routes.go: the link in an offer's mail. The token in the path is the
// family's key to its offer (like a password-reset link: no sign-in, and
// without it nothing is found); the slot_offers record API shows a
// signed-in family its own offers. GET only shows the offer, so a mail
// scanner that follows links books nothing; booking takes a POST. A
// browser gets a small page with a button, other clients JSON.

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9]{32,64}$`)

// BindRoutes registers GET /offers/{token} and POST /offers/{token}/accept
// on g (the /api/v1 group).
func BindRoutes(g *router.RouterGroup[*core.RequestEvent]) {
	o := g.Group("/offers")
	o.GET("/{token}", showOffer)
	o.POST("/{token}/accept", acceptOffer)
}

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

func view(app core.App, offer *core.Record) (View, error) {
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

func showOffer(e *core.RequestEvent) error {
	offer, err := FindByToken(e.App, e.Request.PathValue("token"))
	if err != nil {
		return answerError(e, err)
	}
	v, err := view(e.App, offer)
	if err != nil {
		return e.InternalServerError("", err)
	}
	if wantsPage(e) {
		return e.HTML(http.StatusOK, offerPage(e.App, v, e.Request.URL.Path+"/accept", ""))
	}
	return e.JSON(http.StatusOK, v)
}

// Accepted is the answer to an acceptance.
type Accepted struct {
	Offer  View   `json:"offer"`
	Lesson string `json:"lesson"`
	Again  bool   `json:"again"` // accepted before: nothing new was booked
}

func acceptOffer(e *core.RequestEvent) error {
	res, err := Accept(e.App, e.Request.PathValue("token"), audit.RequestActor(e))
	if err != nil {
		return answerError(e, err)
	}
	v, err := view(e.App, res.Offer)
	if err != nil {
		return e.InternalServerError("", err)
	}
	if wantsPage(e) {
		return e.HTML(http.StatusOK, offerPage(e.App, v, "", ""))
	}
	return e.JSON(http.StatusOK, Accepted{Offer: v, Lesson: res.Lesson.Id, Again: res.Again})
}

// answerError answers a refusal as JSON in PocketBase's shape, or as the
// page for a browser.
func answerError(e *core.RequestEvent, err error) error {
	apiErr, ok := err.(*router.ApiError)
	if !ok {
		return e.InternalServerError("", err)
	}
	if wantsPage(e) {
		return e.HTML(apiErr.Status, offerPage(e.App, View{}, "", apiErr.Message))
	}
	return apiErr
}

// wantsPage: a browser following the mail's link (or submitting the
// page's form) asks for html; the SDK and scripts ask for JSON.
func wantsPage(e *core.RequestEvent) bool {
	accept := e.Request.Header.Get("Accept")
	return strings.Contains(accept, "text/html")
}

func academyName(app core.App) string {
	if s, err := academy.Load(app); err == nil {
		return s.Name
	}
	return ""
}
