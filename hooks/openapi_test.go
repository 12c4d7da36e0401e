package hooks_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"cedarheights/apispec"
	"cedarheights/internal/testapp"
)

// TestEveryRouteIsDescribed walks the router the app builds and requires an
// operation in the OpenAPI description for every /api/v1 and /auth route,
// and a route for every operation.
func TestEveryRouteIsDescribed(t *testing.T) {
	app, _ := testapp.New(t)
	r, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	se := &core.ServeEvent{App: app, Router: r, Server: &http.Server{}}
	if err := app.OnServe().Trigger(se, func(*core.ServeEvent) error { return nil }); err != nil {
		t.Fatal(err)
	}
	doc, err := apispec.Doc()
	if err != nil {
		t.Fatal(err)
	}

	routed := map[string]bool{}
	for _, rt := range routerRoutes(reflect.ValueOf(r.RouterGroup), "") {
		method, path, _ := strings.Cut(rt, " ")
		if !apispec.Described(path) {
			continue
		}
		routed[rt] = true
		item := doc.Paths.Value(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s is routed but not in apispec/openapi.yaml", rt)
		}
	}
	// The walk reads PocketBase's router internals: make sure it still sees
	// the routes (the academy has more than forty).
	if len(routed) < 40 {
		t.Fatalf("the router walk found %d routes under /api/v1 and /auth: %v", len(routed), routed)
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !routed[method+" "+path] {
				t.Errorf("%s %s is described but not routed", method, path)
			}
		}
	}
}

// routerRoutes lists "METHOD /path" for every route under group (a
// *router.RouterGroup). PocketBase keeps a group's routes unexported, so
// they are read by reflection.
func routerRoutes(group reflect.Value, prefix string) []string {
	g := group.Elem()
	prefix += g.FieldByName("Prefix").String()
	children := g.FieldByName("children")
	var out []string
	for i := 0; i < children.Len(); i++ {
		child := children.Index(i).Elem()
		if strings.HasPrefix(child.Type().Elem().Name(), "RouterGroup[") {
			out = append(out, routerRoutes(child, prefix)...)
			continue
		}
		route := child.Elem()
		out = append(out, route.FieldByName("Method").String()+" "+prefix+route.FieldByName("Path").String())
	}
	return out
}

func TestOpenAPIServed(t *testing.T) {
	s := tests.ApiScenario{
		Name:            "the description, to anyone",
		Method:          http.MethodGet,
		URL:             "/api/v1/openapi.json",
		ExpectedStatus:  200,
		ExpectedContent: []string{`"openapi":"3.1.0"`, `"/api/v1/students/{id}"`, `"x-roles"`},
		TestAppFactory:  testapp.Factory,
	}
	s.Test(t)
}
