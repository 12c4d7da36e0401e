package apispec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// source is written in YAML (anchors share answer sets between operations);
// clients get it as JSON.
//
//go:embed openapi.yaml
var source []byte

var (
	loadOnce sync.Once
	docJSON  []byte
	doc      *openapi3.T
	loadErr  error
)

func load() {
	var tree any
	if loadErr = yaml.Unmarshal(source, &tree); loadErr != nil {
		loadErr = fmt.Errorf("apispec: openapi.yaml: %w", loadErr)
		return
	}
	if loadErr = addRouterAnswers(tree); loadErr != nil {
		return
	}
	if docJSON, loadErr = json.Marshal(tree); loadErr != nil {
		loadErr = fmt.Errorf("apispec: openapi.yaml to JSON: %w", loadErr)
		return
	}
	loader := openapi3.NewLoader()
	if doc, loadErr = loader.LoadFromData(docJSON); loadErr != nil {
		loadErr = fmt.Errorf("apispec: load: %w", loadErr)
		return
	}
	if loadErr = doc.Validate(loader.Context); loadErr != nil {
		loadErr = fmt.Errorf("apispec: the description is not valid OpenAPI: %w", loadErr)
	}
}

// JSON is the description as served at /api/v1/openapi.json.
func JSON() ([]byte, error) {
	loadOnce.Do(load)
	return docJSON, loadErr
}

// Doc is the loaded, validated description.
func Doc() (*openapi3.T, error) {
	loadOnce.Do(load)
	return doc, loadErr
}

// addRouterAnswers gives every operation what PocketBase's router and our
// guards give every route, so the YAML need not repeat it: the `fields`
// parameter (PocketBase trims any JSON answer with it), the 400 of a
// `fields`, `filter`, `sort` or `expand` the guards refuse, and query
// parameters whose empty value means left out.
func addRouterAnswers(tree any) error {
	root, _ := tree.(map[string]any)
	paths, ok := root["paths"].(map[string]any)
	if !ok {
		return fmt.Errorf("apispec: openapi.yaml has no paths")
	}
	if components, ok := root["components"].(map[string]any); ok {
		if params, ok := components["parameters"].(map[string]any); ok {
			for _, p := range params {
				emptyIsAbsent(p)
			}
		}
	}
	fields := map[string]any{"$ref": "#/components/parameters/fields"}
	badRequest := map[string]any{"$ref": "#/components/responses/BadRequest"}
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for method, raw := range ops {
			op, ok := raw.(map[string]any)
			if !ok || !operationMethods[method] {
				continue
			}
			responses, ok := op["responses"].(map[string]any)
			if !ok {
				return fmt.Errorf("apispec: %s %s has no responses", method, path)
			}
			if _, ok := responses["400"]; !ok {
				responses["400"] = badRequest
			}
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				emptyIsAbsent(p)
			}
			if !hasRef(params, fields["$ref"].(string)) {
				op["parameters"] = append(params[:len(params):len(params)], fields)
			}
		}
	}
	return nil
}

// emptyIsAbsent marks a query parameter as the routes read it: `?sort=` is
// `sort` left out.
func emptyIsAbsent(param any) {
	if p, ok := param.(map[string]any); ok && p["in"] == "query" {
		p["allowEmptyValue"] = true
	}
}

var operationMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true}

func hasRef(params []any, ref string) bool {
	for _, p := range params {
		if m, ok := p.(map[string]any); ok && m["$ref"] == ref {
			return true
		}
	}
	return false
}
