package apispec

import "testing"

func TestDescriptionIsValidOpenAPI31(t *testing.T) {
	d, err := Doc()
	if err != nil {
		t.Fatal(err)
	}
	if d.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", d.OpenAPI)
	}
	for path, item := range d.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Extensions["x-roles"] == nil {
				t.Errorf("%s %s: no x-roles", method, path)
			}
		}
	}
}
