package hooks

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"

	"cedarheights/apispec"
)

// bindOpenAPIRoute serves the OpenAPI description of the /api/v1 and /auth
// routes (apispec/openapi.yaml); pb_public/docs/ renders it.
func bindOpenAPIRoute(g *router.RouterGroup[*core.RequestEvent]) {
	g.GET("/openapi.json", serveOpenAPI)
}

func serveOpenAPI(e *core.RequestEvent) error {
	doc, err := apispec.JSON()
	if err != nil {
		return e.InternalServerError("", err)
	}
	e.Response.Header().Set("Cache-Control", "no-cache")
	return e.Blob(http.StatusOK, "application/json", doc)
}
