package letters

import (
	"strings"
	"testing"
)

func TestRenderOneSourceTwoParts(t *testing.T) {
	lay := Layout{Academy: "Cedar Heights Music Academy"}
	cases := []struct {
		name        string
		letter      Letter
		wantErr     bool
		inHTML      []string
		notInHTML   []string
		inText      []string
		notInText   []string
		maxTextLine int
	}{
		{
			name: "a full letter",
			letter: Letter{
				Subject:    "Trial lesson booked",
				Greeting:   "Hello Ana,",
				Paragraphs: []string{"Your trial lesson is booked.", "Bring your own music.\nA pencil helps."},
				Details:    []Detail{{"When", "Tuesday 4 March, 16:00"}, {"Teacher", "Xavier"}},
				Action:     &Action{Label: "See your lessons", URL: "https://cedarheights.test/lessons?x=1&y=2"},
				Footer:     "You get this mail because you booked a lesson.",
			},
			inHTML: []string{"Cedar Heights Music Academy", "<title>Trial lesson booked</title>", "Hello Ana,",
				"Bring your own music.<br>A pencil helps.", ">When</td>", ">Xavier</td>",
				`href="https://cedarheights.test/lessons?x=1&amp;y=2"`, "You get this mail because"},
			inText: []string{"Hello Ana,\n\nYour trial lesson is booked.\n\nBring your own music.\nA pencil helps.\n\n",
				"  When:     Tuesday 4 March, 16:00\n  Teacher:  Xavier\n",
				"See your lessons:\nhttps://cedarheights.test/lessons?x=1&y=2\n", "-- \nCedar Heights Music Academy\n"},
			notInText: []string{"<", "&amp;"},
		},
		{
			name: "markup in values is text, escaped in html and kept in text",
			letter: Letter{
				Subject:    `<script>alert(1)</script>`,
				Greeting:   `Hello <b>"Bo" & Co</b>,`,
				Paragraphs: []string{`<img src=x onerror=alert(1)>`},
				Details:    []Detail{{"<i>Room</i>", "A & B"}},
			},
			inHTML:    []string{"&lt;script&gt;", "Hello &lt;b&gt;&#34;Bo&#34; &amp; Co&lt;/b&gt;,", "&lt;img src=x onerror=alert(1)&gt;", "&lt;i&gt;Room&lt;/i&gt;", "A &amp; B"},
			notInHTML: []string{"<script>", "<img", "<b>", "<i>"},
			inText:    []string{`Hello <b>"Bo" & Co</b>,`, `<img src=x onerror=alert(1)>`, "A & B"},
		},
		{
			name: "long paragraphs wrap at 72 columns, long links stay whole",
			letter: Letter{
				Subject:    "s",
				Paragraphs: []string{strings.Repeat("lesson ", 40) + "https://cedarheights.test/" + strings.Repeat("a", 90)},
			},
			inText:      []string{"https://cedarheights.test/" + strings.Repeat("a", 90)},
			maxTextLine: 72,
		},
		{name: "no subject", letter: Letter{Paragraphs: []string{"x"}}, wantErr: true},
		{name: "a javascript link", letter: Letter{Subject: "s", Action: &Action{"Open", "javascript:alert(1)"}}, wantErr: true},
		{name: "a relative link", letter: Letter{Subject: "s", Action: &Action{"Open", "/lessons"}}, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := lay.Render(c.letter)
			if c.wantErr {
				if err == nil {
					t.Fatal("rendered")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject != c.letter.Subject {
				t.Errorf("subject %q", r.Subject)
			}
			for _, s := range c.inHTML {
				if !strings.Contains(r.HTML, s) {
					t.Errorf("html lacks %q:\n%s", s, r.HTML)
				}
			}
			for _, s := range c.notInHTML {
				if strings.Contains(r.HTML, s) {
					t.Errorf("html holds %q:\n%s", s, r.HTML)
				}
			}
			for _, s := range c.inText {
				if !strings.Contains(r.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, r.Text)
				}
			}
			for _, s := range c.notInText {
				if strings.Contains(r.Text, s) {
					t.Errorf("text holds %q:\n%s", s, r.Text)
				}
			}
			if c.maxTextLine > 0 {
				for _, line := range strings.Split(r.Text, "\n") {
					if len([]rune(line)) > c.maxTextLine && strings.Contains(line, " ") {
						t.Errorf("line of %d runes: %q", len([]rune(line)), line)
					}
				}
			}
		})
	}
}

func TestWrap(t *testing.T) {
	cases := []struct {
		in    string
		width int
		want  string
	}{
		{"", 10, ""},
		{"one two three", 7, "one two\nthree"},
		{"one  two\tthree", 20, "one two three"},
		{"averyveryverylongword x", 5, "averyveryverylongword\nx"},
		{"é é é", 3, "é é\né"},
	}
	for _, c := range cases {
		if got := wrap(c.in, c.width); got != c.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
	}
}
