package workflows

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// guard.go: only the engine writes its collections. The API rules give no
// client a create or delete rule; the runs' UpdateRule (admins) is what
// the /api/v1/workflows control routes check, so the record API itself
// must refuse client updates here. Superusers keep the admin UI's powers
// (repairing a stopped run's state, deleting old runs).

var errEngineOwned = router.NewForbiddenError(
	"Workflow runs change through /api/v1/workflows/runs/{id}/retry, /resume and /cancel.", nil)

func bindGuard(app core.App) {
	app.OnRecordUpdateRequest(runsTable).Bind(&hook.Handler[*core.RecordRequestEvent]{
		Id: "workflowsGuard",
		Func: func(e *core.RecordRequestEvent) error {
			if !e.HasSuperuserAuth() {
				return errEngineOwned
			}
			return e.Next()
		},
	})
}
