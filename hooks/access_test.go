package hooks

import (
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

func TestShownColumns(t *testing.T) {
	t.Parallel()
	runs := core.NewBaseCollection("runs")
	runs.Fields.Add(
		&core.TextField{Name: "name"},
		&core.JSONField{Name: "state", Hidden: true},
		&core.TextField{Name: "status"},
	)
	plain := core.NewBaseCollection("plain")
	plain.Fields.Add(&core.TextField{Name: "name"})

	scenarios := []struct {
		name       string
		collection *core.Collection
		want       []string
	}{
		{"hidden fields are not read", runs, []string{"[[runs.id]]", "[[runs.name]]", "[[runs.status]]"}},
		{"nothing hidden: the query keeps *", plain, nil},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			if got := shownColumns(s.collection); !slices.Equal(got, s.want) {
				t.Errorf("shownColumns = %v, want %v", got, s.want)
			}
		})
	}
}
