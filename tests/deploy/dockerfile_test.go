package deploy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// imageBuild is what the tests take from the Dockerfile.
type imageBuild struct {
	build  string // the RUN line that builds the binary, without "RUN "
	output string // its -o path (/out/cedarheights)
	user   string // the runtime stage's USER
	uid    uint32 // that user's uid, from its useradd line
}

// command is the build line writing to out instead of the image's path.
func (b imageBuild) command(out string) string {
	return strings.Replace(b.build, "-o "+b.output, "-o '"+out+"'", 1)
}

var (
	buildOutput = regexp.MustCompile(`\bgo build\b.*-o (/\S*/cedarheights)\b`)
	useradd     = regexp.MustCompile(`useradd\b[^&]*--uid (\d+)[^&]*\s(\w+)\s*$`)
)

// parseDockerfile finds the binary's build line, the runtime user and its
// uid; continuation lines are joined first.
func parseDockerfile(text string) (imageBuild, error) {
	var b imageBuild
	var instructions []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSpace(strings.TrimSuffix(trimmed, `\`)) + " ")
			continue
		}
		cur.WriteString(trimmed)
		instructions = append(instructions, cur.String())
		cur.Reset()
	}
	users := map[string]uint32{}
	for _, in := range instructions {
		switch {
		case strings.HasPrefix(in, "RUN ") && buildOutput.MatchString(in):
			if b.build != "" {
				return b, fmt.Errorf("Dockerfile: two RUN lines build cedarheights")
			}
			b.build = strings.TrimSpace(strings.TrimPrefix(in, "RUN "))
			b.output = buildOutput.FindStringSubmatch(in)[1]
		case strings.HasPrefix(in, "RUN "):
			for _, part := range strings.Split(in, "&&") {
				if m := useradd.FindStringSubmatch(strings.TrimSpace(part)); m != nil {
					uid, _ := strconv.ParseUint(m[1], 10, 32)
					users[m[2]] = uint32(uid)
				}
			}
		case strings.HasPrefix(in, "USER "):
			b.user = strings.TrimSpace(strings.TrimPrefix(in, "USER "))
		}
	}
	if b.build == "" {
		return b, fmt.Errorf("Dockerfile: no RUN line builds cedarheights with go build -o")
	}
	if b.user == "" || b.user == "root" || b.user == "0" {
		return b, fmt.Errorf("Dockerfile: the runtime stage must set a non-root USER (found %q)", b.user)
	}
	uid, ok := users[b.user]
	if !ok {
		return b, fmt.Errorf("Dockerfile: no useradd --uid line creates USER %s", b.user)
	}
	b.uid = uid
	return b, nil
}

func TestParseDockerfile(t *testing.T) {
	const image = `FROM golang AS build
# a comment
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags="-s -w" -o /out/cedarheights .
FROM debian
RUN apt-get update \
 && useradd --system --uid 10001 --home /pb academy \
 && mkdir -p /pb
USER academy
`
	tests := []struct {
		name, text, wantErr string
		want                imageBuild
	}{
		{name: "the image's shape", text: image, want: imageBuild{
			build:  `CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/cedarheights .`,
			output: "/out/cedarheights", user: "academy", uid: 10001,
		}},
		{name: "no build line", text: "FROM debian\nUSER academy\n", wantErr: "no RUN line"},
		{name: "runs as root", text: strings.Replace(image, "USER academy", "USER root", 1), wantErr: "non-root USER"},
		{name: "no USER", text: strings.Replace(image, "USER academy", "", 1), wantErr: "non-root USER"},
		{name: "user without uid", text: strings.Replace(image, "--uid 10001 ", "", 1), wantErr: "no useradd --uid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDockerfile(tt.text)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
			if cmd := got.command("/tmp/x/bin"); !strings.Contains(cmd, "-o '/tmp/x/bin' .") || !strings.HasPrefix(cmd, "CGO_ENABLED=0 go build -trimpath") {
				t.Fatalf("command = %q", cmd)
			}
		})
	}
}
