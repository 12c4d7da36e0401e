package testapp

import (
	"net/http"
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
	srv := httptest.NewUnstartedServer(nil)
	if err := serveOn(app, srv.Config); err != nil {
		return nil, err
	}
	srv.Start()
	return srv, nil
}

// Handler is app's full router as Serve builds it, without a listener: for
// tests that send many requests to one app in process, building the router
// once (each apis.NewRouter binds one more admin UI hook on the app, so a
// second tests.ApiScenario on one app panics on a duplicate route).
func Handler(t testing.TB, app core.App) http.Handler {
	t.Helper()
	srv := &http.Server{}
	if err := serveOn(app, srv); err != nil {
		t.Fatal(err)
	}
	return srv.Handler
}

func serveOn(app core.App, server *http.Server) error {
	router, err := apis.NewRouter(app)
	if err != nil {
		return err
	}
	event := &core.ServeEvent{App: app, Router: router, Server: server}
	return app.OnServe().Trigger(event, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		if err != nil {
			return err
		}
		e.Server.Handler = mux
		return nil
	})
}
