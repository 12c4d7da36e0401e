package billingapi

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/hooks"
	"cedarheights/internal/decodertest"
)

// decoders_fuzz_test.go: go test -fuzz targets for the payments list's
// parameters (the shared
// decoders are fuzzed in hooks/decoders_fuzz_test.go). Their seeds run with
// every `go test`.

// FuzzPaymentListParams: the payments list's query parameters are accepted or refused
// field by field, and accepted pagination stays within its bounds.
func FuzzPaymentListParams(f *testing.F) {
	for _, s := range decodertest.ListParamSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		decodertest.ListParams(t, raw, map[string]func(url.Values) error{
			"payments": func(q url.Values) error {
				f := paymentFilters{Status: q.Get("status"), Kind: q.Get("kind"), Method: q.Get("method"), Family: q.Get("family"), Enrollment: q.Get("enrollment")}
				return hooks.MergeErrors(f.validate(), hooks.ReadPageParams(pageQuery(q)).Validate(paymentSorts))
			},
		}, pageOf, hooks.MaxPerPage)
	})
}

// pageQuery is a list request with query q.
func pageQuery(q url.Values) *core.RequestEvent {
	return decodertest.Event(http.MethodGet, "/?"+q.Encode(), "", nil)
}

// pageOf is the page a list route reads from q.
func pageOf(q url.Values) (page, perPage int) {
	var lq hooks.ListQuery
	hooks.ReadPageParams(pageQuery(q)).Apply(&lq, map[string]string{"": ""}, "")
	return lq.Page, lq.PerPage
}
