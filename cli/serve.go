package cli

import (
	"os"
	"strings"

	"github.com/pocketbase/pocketbase/cmd"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// serve.go: the serve command main.go registers, PocketBase's own with a
// safer CORS default.

// CORSOriginsEnv lists the origins (comma-separated) that browsers may call
// the API from. PocketBase's serve command answers "*" unless told
// otherwise; ours defaults to the local server itself. "*" only when set
// explicitly.
const CORSOriginsEnv = "CORS_ORIGINS"

// DefaultCORSOrigins are the origins of `make run`.
var DefaultCORSOrigins = []string{"http://127.0.0.1:8090", "http://localhost:8090"}

// CORSOrigins parses a CORS_ORIGINS value: comma-separated, spaces and
// trailing slashes ignored (a browser's Origin header has none); empty means
// DefaultCORSOrigins.
func CORSOrigins(value string) []string {
	var origins []string
	for _, o := range strings.Split(value, ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			origins = append(origins, o)
		}
	}
	if len(origins) == 0 {
		return append([]string(nil), DefaultCORSOrigins...)
	}
	return origins
}

// NewServeCommand is PocketBase's serve command with the --origins default
// taken from CORS_ORIGINS; an explicit --origins flag still wins.
func NewServeCommand(app core.App, showStartBanner bool) *cobra.Command {
	serve := cmd.NewServeCommand(app, showStartBanner)
	origins := CORSOrigins(os.Getenv(CORSOriginsEnv))

	flag := serve.PersistentFlags().Lookup("origins")
	slice, ok := flagSlice(flag)
	if !ok {
		// Serving with "*" would be a silent security regression.
		panic("cli: PocketBase's serve command has no --origins list flag")
	}
	// Replace, unlike Set, leaves the flag "unchanged", so a --origins given
	// on the command line replaces this default instead of adding to it.
	if err := slice.Replace(origins); err != nil {
		panic(err)
	}
	flag.DefValue = "[" + strings.Join(origins, ",") + "]"
	return serve
}

func flagSlice(flag *pflag.Flag) (pflag.SliceValue, bool) {
	if flag == nil {
		return nil, false
	}
	slice, ok := flag.Value.(pflag.SliceValue)
	return slice, ok
}
