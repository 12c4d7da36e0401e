package testapp

import (
	"net/http/httptest"
	"testing"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// Serve runs app's full router (PocketBase's routes plus everything bound
// on OnServe) behind a real HTTP listener on loopback, for tests that need
// concurrency or a real client. It is closed with the test.
func Serve(t testing.TB, app core.App) *httptest.Server {
	t.Helper()
	srv, err := Listen(app)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// Listen is Serve for the benchmarks, which have no testing.TB. Like
// apis.Serve, it hands OnServe the *http.Server and sets its Handler in the
// innermost step, so hooks that wrap e.Server.Handler after e.Next() wrap
// it here too. The caller closes it.
func Listen(app core.App) (*httptest.Server, error) {
	router, err := apis.NewRouter(app)
	if err != nil {
		return nil, err
	}
	srv := httptest.NewUnstartedServer(nil)
	event := &core.ServeEvent{App: app, Router: router, Server: srv.Config}
	err = app.OnServe().Trigger(event, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		if err != nil {
			return err
		}
		e.Server.Handler = mux
		return nil
	})
	if err != nil {
		return nil, err
	}
	srv.Start()
	return srv, nil
}
