package hooks

import (
	"net/http"
	"os"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// PublicDirEnv names the folder served at "/" (default ./pb_public); an
// embedded PocketBase does not serve it by itself.
const PublicDirEnv = "ACADEMY_PUBLIC_DIR"

func bindStatic(app core.App) {
	dir := os.Getenv(PublicDirEnv)
	if dir == "" {
		dir = "pb_public"
	}
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Func: func(e *core.ServeEvent) error {
			if !e.Router.HasRoute(http.MethodGet, "/{path...}") {
				e.Router.GET("/{path...}", apis.Static(os.DirFS(dir), false))
			}
			return e.Next()
		},
		Priority: 999, // last, after every API route
	})
}
