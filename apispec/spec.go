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
