package opsapi

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/doctor"
	"cedarheights/hooks"
)

// RunDoctor answers GET /api/v1/admin/doctor: the invariant report of the
// live academy (the CLI's doctor), for admins and superusers only. The
// status is 200 whatever the report holds: violations are its content.
func RunDoctor(e *core.RequestEvent) error {
	if !hooks.IsAdminCaller(e) {
		return e.ForbiddenError("Only the academy's admins may run the doctor.", nil)
	}
	rep, err := doctor.Check(e.App, doctor.Options{Context: e.Request.Context()})
	if err != nil {
		return e.InternalServerError("The doctor could not finish its checks.", err)
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusOK, rep)
}
