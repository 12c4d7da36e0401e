package offersapi

import (
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/academy"
	"cedarheights/audit"
	"cedarheights/offers"
)

// offers.go: the link in an offer's mail. The token in the path is the
// family's key to its offer (like a password-reset link: no sign-in, and
// without it nothing is found); the slot_offers record API shows a
// signed-in family its own offers. GET only shows the offer, so a mail
// scanner that follows links books nothing; booking takes a POST. A
// browser gets a small page with a button, other clients JSON.

// ShowOffer answers GET /api/v1/offers/{token} (wiring/routes.go): the
// offer as JSON, or a page with a button for a browser.
func ShowOffer(e *core.RequestEvent) error {
	offer, err := offers.FindByToken(e.App, e.Request.PathValue("token"))
	if err != nil {
		return answerError(e, err)
	}
	v, err := offers.ViewOf(e.App, offer)
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
	Offer  offers.View `json:"offer"`
	Lesson string      `json:"lesson"`
	Again  bool        `json:"again"` // accepted before: nothing new was booked
}

// AcceptOffer answers POST /api/v1/offers/{token}/accept: books the slot
// inside one transaction, or says why not (409 gone, 410 closed).
func AcceptOffer(e *core.RequestEvent) error {
	res, err := offers.Accept(e.App, e.Request.PathValue("token"), audit.RequestActor(e))
	if err != nil {
		return answerError(e, err)
	}
	v, err := offers.ViewOf(e.App, res.Offer)
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
		return e.HTML(apiErr.Status, offerPage(e.App, offers.View{}, "", apiErr.Message))
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
