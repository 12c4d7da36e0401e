package hooks

import (
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

// CanView is canView, for TestFoldedViewRuleAnswersAsCanAccessRecord.
func CanView(app core.App, info *core.RequestInfo, record *core.Record) (bool, error) {
	return canView(app, info, record)
}
