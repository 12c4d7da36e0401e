package hooks

import (
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// FoldRule lets the external tests (which need the fixture app, and so
// package hooks_test) compare folded rules with PocketBase's own reading.
// verdict is "row" when the folded rule still depends on the row, else
// "true" or "false".
func FoldRule(rule string, auth *core.Record) (folded, verdict string) {
	folded, t := foldRule(rule, auth)
	return folded, map[truth]string{dependsOnRow: "row", alwaysTrue: "true", alwaysFalse: "false"}[t]
}

// UseSendmail makes the health check see path as the sendmail binary (""
// for none) until the test ends, whatever the machine has.
func UseSendmail(t testing.TB, path string) {
	old := findSendmail
	findSendmail = func() string { return path }
	t.Cleanup(func() { findSendmail = old })
}

// CanView is canView, for TestFoldedViewRuleAnswersAsCanAccessRecord.
func CanView(app core.App, info *core.RequestInfo, record *core.Record) (bool, error) {
	return canView(app, info, record)
}
