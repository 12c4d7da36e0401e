package opsapi

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/apispec"
)

// ServeOpenAPI serves the OpenAPI description of the /api/v1 and /auth
// routes (apispec/openapi.yaml); pb_public/docs/ renders it.
func ServeOpenAPI(e *core.RequestEvent) error {
	doc, err := apispec.JSON()
	if err != nil {
		return e.InternalServerError("", err)
	}
	e.Response.Header().Set("Cache-Control", "no-cache")
	return e.Blob(http.StatusOK, "application/json", doc)
}
