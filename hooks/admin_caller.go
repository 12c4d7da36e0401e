package hooks

import "github.com/pocketbase/pocketbase/core"

// admin_caller.go: the academy's admins (and superusers), for the routes
// only they may use (the doctor, cancelling an enrollment).

func IsAdminCaller(e *core.RequestEvent) bool {
	if e.HasSuperuserAuth() {
		return true
	}
	return e.Auth != nil && e.Auth.Collection().Name == "users" && e.Auth.GetString("role") == "admin"
}
