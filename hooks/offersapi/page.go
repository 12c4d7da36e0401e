package offersapi

import (
	"bytes"
	"html/template"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/offers"
)

// page.go: the page a family's browser sees when it follows an offer's
// link, and after pressing its button. Plain html with no script or style
// (the API's CSP allows neither); the form posts back to the accept route.

var pageTemplate = template.Must(template.New("offer").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{.Academy}}: a free lesson slot</title></head>
<body>
<h1>{{.Academy}}</h1>
{{- if .Problem}}
<p><strong>{{.Problem}}</strong></p>
{{- else}}
<p>{{if eq .Offer.Kind "move"}}Move {{.Offer.Student}}'s lesson of {{.Offer.MovesFrom}} to:{{else}}A make-up lesson for {{.Offer.Student}}:{{end}}</p>
<ul>
<li>When: {{.Offer.When}}</li>
<li>Teacher: {{.Offer.Teacher}}</li>
<li>Instrument: {{.Offer.Instrument}}</li>
</ul>
{{- if eq .Offer.Status "open"}}
{{- if .Action}}
<form method="post" action="{{.Action}}"><button type="submit">Book this slot</button></form>
<p>First come, first served.</p>
{{- end}}
{{- else if eq .Offer.Status "taken"}}
<p><strong>Booked.</strong> A confirmation is on its way by mail.</p>
{{- else if eq .Offer.Status "gone"}}
<p><strong>Sorry, the slot is gone:</strong> another family booked it first.</p>
{{- else}}
<p><strong>This offer has expired.</strong></p>
{{- end}}
{{- end}}
</body>
</html>
`))

func offerPage(app core.App, v offers.View, action, problem string) string {
	var b bytes.Buffer
	_ = pageTemplate.Execute(&b, struct {
		Academy, Action, Problem string
		Offer                    offers.View
	}{academyName(app), action, problem, v})
	return b.String()
}
