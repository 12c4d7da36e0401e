package cli

import (
	"slices"
	"testing"
)

func TestCORSOrigins(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  string
		want []string
	}{
		{"", DefaultCORSOrigins},
		{" , ", DefaultCORSOrigins},
		{"https://academy.example", []string{"https://academy.example"}},
		{" https://a.example/ ,https://b.example:8443,, ", []string{"https://a.example", "https://b.example:8443"}},
		{"*", []string{"*"}},
	}
	for _, c := range cases {
		if got := CORSOrigins(c.env); !slices.Equal(got, c.want) {
			t.Errorf("CORSOrigins(%q) = %q, want %q", c.env, got, c.want)
		}
	}
}
