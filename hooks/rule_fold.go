package hooks

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ganigeorgiev/fexpr"
	"github.com/pocketbase/pocketbase/core"
)

// rule_fold.go specialises a collection rule for one caller before it is
// turned into SQL. Our rules are ORs over roles
// (`@request.auth.role = "parent" && parent = @request.auth.id || … ||
// @request.auth.role = "admin"`); as written, SQLite evaluates every branch
// on every row and cannot use an index. The caller's role, id and
// collection are known before the query runs, so the comparisons between
// them and literals are decided here and the branches they rule out are
// dropped: a parent's students rule becomes `parent = @request.auth.id &&
// deleted = ""` (the parent index applies), an admin's becomes true. The rule stays
// the only policy; this only evaluates the parts that do not depend on the
// row, with PocketBase's meaning of = and != on text.

// truth is what a folded rule says regardless of the row.
type truth int

const (
	dependsOnRow truth = iota
	alwaysTrue
	alwaysFalse
)

// foldRule returns rule with every comparison between literals and the
// caller's own fields decided (auth is nil for anonymous callers) and the
// && / || around them simplified. When the result no longer depends on the
// row, the truth says which way it went and the text is "". A rule it does
// not fully understand (functions, a parse error) comes back unchanged.
func foldRule(rule string, auth *core.Record) (string, truth) {
	groups, err := parseRule(rule)
	if err != nil {
		return rule, dependsOnRow
	}
	f := folder{auth: auth}
	text, t := f.groups(groups)
	if f.unsupported {
		return rule, dependsOnRow
	}
	return text, t
}

// parsedRules keeps each rule's parse: the rules are the collections' few
// texts, folded on every request, and parsing is most of a fold's cost.
// The parsed groups are only read.
var parsedRules sync.Map // rule text → []fexpr.ExprGroup

// maxParsedRules bounds parsedRules should rules ever be built per request.
const maxParsedRules = 512

var parsedRulesCount atomic.Int64

func parseRule(rule string) ([]fexpr.ExprGroup, error) {
	if groups, ok := parsedRules.Load(rule); ok {
		return groups.([]fexpr.ExprGroup), nil
	}
	groups, err := fexpr.Parse(rule)
	if err != nil {
		return nil, err
	}
	if parsedRulesCount.Load() < maxParsedRules {
		if _, loaded := parsedRules.LoadOrStore(rule, groups); !loaded {
			parsedRulesCount.Add(1)
		}
	}
	return groups, nil
}

type folder struct {
	auth        *core.Record
	unsupported bool
}

// groups folds a parsed group list. fexpr keeps the joins flat and PocketBase
// hands them to SQL as they are, so && binds tighter than ||: the list is a
// disjunction of runs of &&-joined items.
func (f *folder) groups(groups []fexpr.ExprGroup) (string, truth) {
	var runs [][]fexpr.ExprGroup
	for i, g := range groups {
		if i == 0 || g.Join == fexpr.JoinOr {
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], g)
	}

	var kept []string
	for _, run := range runs {
		text, t := f.and(run)
		switch t {
		case alwaysTrue:
			return "", alwaysTrue
		case dependsOnRow:
			kept = append(kept, text)
		}
	}
	switch len(kept) {
	case 0:
		return "", alwaysFalse
	case 1:
		return kept[0], dependsOnRow
	}
	return "(" + strings.Join(kept, ") || (") + ")", dependsOnRow
}

func (f *folder) and(run []fexpr.ExprGroup) (string, truth) {
	var kept []string
	for _, g := range run {
		text, t := f.item(g.Item)
		switch t {
		case alwaysFalse:
			return "", alwaysFalse
		case dependsOnRow:
			kept = append(kept, text)
		}
	}
	if len(kept) == 0 {
		return "", alwaysTrue
	}
	return strings.Join(kept, " && "), dependsOnRow
}

func (f *folder) item(item any) (string, truth) {
	switch v := item.(type) {
	case fexpr.Expr:
		return f.expr(v)
	case fexpr.ExprGroup:
		return f.item(v.Item)
	case []fexpr.ExprGroup:
		text, t := f.groups(v)
		if t != dependsOnRow {
			return "", t
		}
		return "(" + text + ")", t
	}
	f.unsupported = true
	return "", dependsOnRow
}

// expr decides `a = b` and `a != b` when both sides are known text; every
// other comparison is written back as it was.
func (f *folder) expr(e fexpr.Expr) (string, truth) {
	left, lok := f.known(e.Left)
	right, rok := f.known(e.Right)
	if lok && rok {
		switch e.Op {
		case fexpr.SignEq:
			return "", truthOf(left == right)
		case fexpr.SignNeq:
			return "", truthOf(left != right)
		}
	}
	return f.token(e.Left) + " " + string(e.Op) + " " + f.token(e.Right), dependsOnRow
}

func truthOf(b bool) truth {
	if b {
		return alwaysTrue
	}
	return alwaysFalse
}

// known returns the value of a text literal or of one of the caller's own
// single-value fields. For an anonymous caller PocketBase compares
// `@request.auth.<field>` as empty text (that is what makes
// `@request.auth.id != ""` mean "signed in"), so those fold to "".
func (f *folder) known(t fexpr.Token) (string, bool) {
	switch t.Type {
	case fexpr.TokenText:
		return t.Literal, true
	case fexpr.TokenIdentifier:
		name, ok := strings.CutPrefix(t.Literal, "@request.auth.")
		if !ok || strings.ContainsAny(name, ".:") {
			return "", false
		}
		if f.auth == nil {
			return "", true
		}
		switch name {
		case core.FieldNameId:
			return f.auth.Id, true
		case core.FieldNameCollectionName:
			return f.auth.Collection().Name, true
		case core.FieldNameCollectionId:
			return f.auth.Collection().Id, true
		}
		if isSingleTextField(f.auth.Collection(), name) {
			return f.auth.GetString(name), true
		}
	}
	return "", false
}

// isSingleTextField reports whether name is a text-like field holding one
// value, compared by PocketBase as plain text.
func isSingleTextField(c *core.Collection, name string) bool {
	switch field := c.Fields.GetByName(name).(type) {
	case *core.TextField:
		return true
	case *core.SelectField:
		return !field.IsMultiple()
	}
	return false
}

// token writes a token back in filter syntax.
func (f *folder) token(t fexpr.Token) string {
	switch t.Type {
	case fexpr.TokenIdentifier, fexpr.TokenNumber:
		return t.Literal
	case fexpr.TokenText:
		return quoteText(t.Literal)
	}
	f.unsupported = true // functions and anything newer: leave the rule alone
	return ""
}

// quoteText quotes s so that fexpr reads it back as s.
func quoteText(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
