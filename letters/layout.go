package letters

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
)

// Letter is one message's content, written once as plain text; Render
// turns it into the html and the plain-text part.
type Letter struct {
	Subject    string
	Greeting   string   // "Hello Ana,"
	Paragraphs []string // plain text; a newline inside one is a line break
	Details    []Detail // label and value rows: When, Teacher, Room…
	Action     *Action  // an optional link (http or https)
	Footer     string   // why the recipient gets this, in a line
}

// Detail is one labelled row of a letter.
type Detail struct{ Label, Value string }

// Action is a link the reader can follow.
type Action struct{ Label, URL string }

// Rendered is a letter ready for the outbox.
type Rendered struct{ Subject, HTML, Text string }

// Layout renders letters under the academy's name.
type Layout struct {
	Academy string
}

// LoadLayout reads the academy's name from its settings record.
func LoadLayout(app core.App) (Layout, error) {
	s, err := academy.Load(app)
	if err != nil {
		return Layout{}, err
	}
	return Layout{Academy: s.Name}, nil
}

// textWidth is where the plain-text part wraps (RFC 3676's advice).
const textWidth = 72

// Render makes the html and plain-text parts of l. Every value is text:
// the html part escapes it, so a name like "<b>" shows as typed.
func (lay Layout) Render(l Letter) (Rendered, error) {
	if strings.TrimSpace(l.Subject) == "" {
		return Rendered{}, errors.New("letters: a letter needs a subject")
	}
	if l.Action != nil {
		u, err := url.Parse(l.Action.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Rendered{}, fmt.Errorf("letters: action link %q is not an http(s) URL", l.Action.URL)
		}
	}
	var html bytes.Buffer
	if err := htmlLayout.Execute(&html, struct {
		Layout
		Letter
	}{lay, l}); err != nil {
		return Rendered{}, err
	}
	return Rendered{Subject: l.Subject, HTML: html.String(), Text: lay.text(l)}, nil
}

func (lay Layout) text(l Letter) string {
	var b strings.Builder
	if l.Greeting != "" {
		b.WriteString(l.Greeting + "\n\n")
	}
	for _, p := range l.Paragraphs {
		for _, line := range strings.Split(p, "\n") {
			b.WriteString(wrap(line, textWidth) + "\n")
		}
		b.WriteString("\n")
	}
	if len(l.Details) > 0 {
		width := 0
		for _, d := range l.Details {
			width = max(width, len([]rune(d.Label)))
		}
		for _, d := range l.Details {
			pad := strings.Repeat(" ", width-len([]rune(d.Label)))
			b.WriteString("  " + d.Label + ":" + pad + "  " + d.Value + "\n")
		}
		b.WriteString("\n")
	}
	if l.Action != nil {
		b.WriteString(l.Action.Label + ":\n" + l.Action.URL + "\n\n")
	}
	b.WriteString("-- \n" + lay.Academy + "\n")
	if l.Footer != "" {
		b.WriteString("\n" + wrap(l.Footer, textWidth) + "\n")
	}
	return b.String()
}

// wrap breaks s between words so no line exceeds width runes (a single
// longer word, such as a link, keeps its own line).
func wrap(s string, width int) string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return ""
	}
	var b strings.Builder
	n := 0
	for i, w := range words {
		l := len([]rune(w))
		if i > 0 && n+1+l > width {
			b.WriteString("\n")
			n = 0
		} else if i > 0 {
			b.WriteString(" ")
			n++
		}
		b.WriteString(w)
		n += l
	}
	return b.String()
}

// htmlLayout is deliberately plain: inline styles and one table, which
// every mail client renders.
var htmlLayout = template.Must(template.New("letter").Funcs(template.FuncMap{
	"lines": func(s string) []string { return strings.Split(s, "\n") },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:0;background:#f4f1ec;font-family:Georgia,'Times New Roman',serif;color:#2b2b2b">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f1ec"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:6px">
<tr><td style="padding:20px 28px;border-bottom:3px solid #7a5c3e;font-size:18px;font-weight:bold;color:#7a5c3e">{{.Academy}}</td></tr>
<tr><td style="padding:24px 28px;font-size:16px;line-height:1.5">
{{- if .Greeting}}
<p style="margin:0 0 16px">{{.Greeting}}</p>
{{- end}}
{{- range .Paragraphs}}
<p style="margin:0 0 16px">{{range $i, $l := lines .}}{{if $i}}<br>{{end}}{{$l}}{{end}}</p>
{{- end}}
{{- if .Details}}
<table role="presentation" cellpadding="0" cellspacing="0" style="margin:0 0 16px;font-size:15px">
{{- range .Details}}
<tr><td style="padding:2px 16px 2px 0;color:#6b6b6b;vertical-align:top">{{.Label}}</td><td style="padding:2px 0">{{.Value}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- with .Action}}
<p style="margin:8px 0 16px"><a href="{{.URL}}" style="display:inline-block;padding:10px 18px;background:#7a5c3e;color:#ffffff;text-decoration:none;border-radius:4px">{{.Label}}</a></p>
{{- end}}
</td></tr>
{{- if .Footer}}
<tr><td style="padding:16px 28px;border-top:1px solid #e6e0d8;font-size:13px;color:#6b6b6b">{{.Footer}}</td></tr>
{{- end}}
</table>
</td></tr></table>
</body>
</html>
`))
