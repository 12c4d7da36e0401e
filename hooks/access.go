package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/inflector"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/search"
	"github.com/pocketbase/pocketbase/tools/security"

	"cedarheights/audit"
)

// access.go is the one place the custom routes apply the collections' API
// rules. Handlers never decide who may do what: they ask these helpers, which
// evaluate the rule stored on the collection (superusers bypass every rule, a
// nil rule means superusers only), so /api/v1 and PocketBase's record API
// always give the same answer.

// FindVisible loads a record the caller may view under the collection's
// ViewRule. A missing record and a hidden one both answer 404, so a parent
// probing another family's ids learns nothing.
func FindVisible(e *core.RequestEvent, collectionName, id string) (*core.Record, error) {
	info, err := e.RequestInfo()
	if err != nil {
		return nil, RequestError(e, err)
	}
	record, err := e.App.FindRecordById(collectionName, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, e.NotFoundError("", nil)
	}
	if err != nil {
		return nil, e.InternalServerError("", err)
	}
	return showIfVisible(e, info, record)
}

// Visible is FindVisible for a record the handler already holds (a teacher
// kept by the free-time cache): the caller's view rule is still decided.
func Visible(e *core.RequestEvent, record *core.Record) (*core.Record, error) {
	info, err := e.RequestInfo()
	if err != nil {
		return nil, RequestError(e, err)
	}
	return showIfVisible(e, info, record)
}

func showIfVisible(e *core.RequestEvent, info *core.RequestInfo, record *core.Record) (*core.Record, error) {
	ok, err := canView(e.App, info, record)
	if err != nil {
		return nil, e.InternalServerError("", err)
	}
	if !ok {
		return nil, e.NotFoundError("", nil)
	}
	return record, nil
}

// canView evaluates the collection's ViewRule for record and the caller as
// CanAccessRecord does, with the rule folded for the caller first
// (rule_fold.go): when the caller's role alone decides it (an admin's
// `… || @request.auth.role = "admin"`), no query runs.
func canView(app core.App, info *core.RequestInfo, record *core.Record) (bool, error) {
	rule := record.Collection().ViewRule
	if info.HasSuperuserAuth() || (rule != nil && *rule == "") {
		return true, nil
	}
	if rule == nil {
		return false, nil
	}
	folded, verdict := foldRule(*rule, info.Auth)
	switch verdict {
	case alwaysTrue:
		return true, nil
	case alwaysFalse:
		return false, nil
	}
	return app.CanAccessRecord(record, info, &folded)
}

// VisibleIDs answers which of ids name records of the collection the caller
// may view under its ViewRule: what FindVisible answers for each, in one
// query (none when the caller's role decides the rule alone).
func VisibleIDs(e *core.RequestEvent, collectionName string, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	collection, err := e.App.FindCachedCollectionByNameOrId(collectionName)
	if err != nil {
		return nil, e.InternalServerError("", err)
	}
	info, err := e.RequestInfo()
	if err != nil {
		return nil, RequestError(e, err)
	}
	query := e.App.RecordQuery(collection).Select(collection.Name + ".id").Distinct(true).
		AndWhere(dbx.In(collection.Name+".id", anyIDs(ids)...))
	rule := collection.ViewRule
	switch {
	case info.HasSuperuserAuth() || (rule != nil && *rule == ""):
	case rule == nil:
		return out, nil
	default:
		folded, verdict := foldRule(*rule, info.Auth)
		switch verdict {
		case alwaysFalse:
			return out, nil
		case dependsOnRow:
			resolver := core.NewRecordFieldResolver(e.App, collection, info, true)
			expr, err := search.FilterData(folded).BuildExpr(resolver)
			if err != nil {
				return nil, e.InternalServerError("", err)
			}
			query.AndWhere(expr)
			if err := resolver.UpdateQuery(query); err != nil {
				return nil, e.InternalServerError("", err)
			}
		}
	}
	var found []string
	if err := query.Column(&found); err != nil {
		return nil, e.InternalServerError("", err)
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// SeesAll reports whether the collection's ListRule admits every record
// to the caller whatever the rows hold: a superuser, a public rule, or a
// rule the caller's role decides true (an admin). Such a caller's lists
// depend on the rows alone, not on who asks.
func SeesAll(e *core.RequestEvent, collectionName string) (bool, error) {
	return admitsAll(e, collectionName, func(c *core.Collection) *string { return c.ListRule })
}

// ViewsAll is SeesAll for the ViewRule: whether FindVisible would show the
// caller any record of the collection without a query.
func ViewsAll(e *core.RequestEvent, collectionName string) (bool, error) {
	return admitsAll(e, collectionName, func(c *core.Collection) *string { return c.ViewRule })
}

func admitsAll(e *core.RequestEvent, collectionName string, ruleOf func(*core.Collection) *string) (bool, error) {
	collection, err := e.App.FindCachedCollectionByNameOrId(collectionName)
	if err != nil {
		return false, e.InternalServerError("", err)
	}
	info, err := e.RequestInfo()
	if err != nil {
		return false, RequestError(e, err)
	}
	rule := ruleOf(collection)
	if info.HasSuperuserAuth() || (rule != nil && *rule == "") {
		return true, nil
	}
	if rule == nil {
		return false, nil
	}
	_, verdict := foldRule(*rule, info.Auth)
	return verdict == alwaysTrue, nil
}

func anyIDs(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// CheckRule answers 403 unless rule (the collection's Update or Delete rule)
// lets the caller write record with body as the submitted data, so rules
// such as `@request.body.status:isset = false` see what is being written.
// It runs on app so that a transaction checks against its own state.
func CheckRule(app core.App, e *core.RequestEvent, record *core.Record, rule *string, body map[string]any) error {
	info, err := infoWithBody(e, body)
	if err != nil {
		return err
	}
	ok, err := app.CanAccessRecord(record, info, rule)
	if err != nil {
		return e.InternalServerError("", err)
	}
	if !ok {
		return e.ForbiddenError("The collection's rules do not allow this change.", nil)
	}
	return nil
}

// CheckCreate answers 403 unless the collection's CreateRule lets the caller
// create record (not yet saved) from body. Like PocketBase's own create
// endpoint, it evaluates the rule against a one-row CTE holding the new
// record's values, so nothing is written (and no hook runs) before access is
// decided. PocketBase has no public function for this (CanAccessRecord
// needs a saved row); TestCreateRuleProbeMatchesRecordAPI pins the copy to
// PocketBase's own create endpoint.
func CheckCreate(app core.App, e *core.RequestEvent, record *core.Record, body map[string]any) error {
	info, err := infoWithBody(e, body)
	if err != nil {
		return err
	}
	collection := record.Collection()
	if info.HasSuperuserAuth() || (collection.CreateRule != nil && *collection.CreateRule == "") {
		return nil
	}
	if collection.CreateRule == nil {
		return e.ForbiddenError("Only superusers can perform this action.", nil)
	}

	probe := record.Clone()
	if probe.Id == "" {
		probe.Id = "__probe__" + security.PseudorandomString(8)
	}
	values, err := probe.DBExport(app)
	if err != nil {
		return e.InternalServerError("", err)
	}

	// The CTE borrows the collection's shape under a name of its own, so the
	// rule's field references resolve to the probe row, not the table.
	suffix := "__probe_" + security.PseudorandomString(6)
	shadow := *collection
	shadow.Id += suffix
	shadow.Name += inflector.Columnify(suffix)

	params := make(dbx.Params, len(values))
	columns := make([]string, 0, len(values))
	for name, v := range values {
		name = inflector.Columnify(name)
		params["probe_"+name] = v
		columns = append(columns, "{:probe_"+name+"} AS [["+name+"]]")
	}
	query := app.DB().Select("(1)").
		PreFragment(fmt.Sprintf("WITH {{%s}} AS (SELECT %s)", shadow.Name, strings.Join(columns, ","))).
		From(shadow.Name).
		AndBind(params)

	rule, verdict := foldRule(*collection.CreateRule, info.Auth)
	switch verdict {
	case alwaysTrue:
		return nil
	case alwaysFalse:
		return e.ForbiddenError("The collection's rules do not allow creating this record.", nil)
	}
	resolver := core.NewRecordFieldResolver(app, &shadow, info, true)
	expr, err := search.FilterData(rule).BuildExpr(resolver)
	if err != nil {
		return e.InternalServerError("", err)
	}
	query.AndWhere(expr)
	if err := resolver.UpdateQuery(query); err != nil {
		return e.InternalServerError("", err)
	}
	var exists int
	err = query.Limit(1).Row(&exists)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return e.InternalServerError("", err)
	}
	if exists == 0 {
		return e.ForbiddenError("The collection's rules do not allow creating this record.", nil)
	}
	return nil
}

// ListQuery narrows a rule-checked list. Filter is PocketBase filter syntax
// with {:placeholders} bound from Params (the same language as the rules and
// the SDK's `filter`); Where holds extra plain SQL conditions.
type ListQuery struct {
	Filter    string
	Params    dbx.Params
	Where     []dbx.Expression
	Sort      string
	Page      int
	PerPage   int
	SkipTotal bool
}

// ListVisible lists the records of a collection the caller may see under
// its ListRule, narrowed by q, the way PocketBase's list endpoint does: the
// rule and the filters are resolved by one field resolver into one query,
// and PocketBase's search provider pages it and counts the total beside the
// page (unless q.SkipTotal).
func ListVisible(e *core.RequestEvent, collectionName string, q ListQuery) (*search.Result, []*core.Record, error) {
	records := []*core.Record{}
	result, err := listVisible(e, collectionName, q, &records)
	if err != nil {
		return nil, nil, err
	}
	return result, records, nil
}

// listVisible is ListVisible into dst: *[]*core.Record, or *[]dbx.NullStringMap
// for the rows as read.
func listVisible(e *core.RequestEvent, collectionName string, q ListQuery, dst any) (*search.Result, error) {
	query, resolver, err := visibleQuery(e, collectionName, q)
	if err != nil {
		return nil, err
	}
	// A query the resolver joins nothing to has one row per record, so its
	// total is a plain COUNT(*), which SQLite answers from any index; the
	// provider's COUNT(DISTINCT id) builds a B-tree of every id first (the
	// office's students with their total: 0.86× the built-in list).
	count := !q.SkipTotal && !joins(query, resolver)
	provider := search.NewProvider(resolver).
		Query(query).
		Page(q.Page).
		PerPage(q.PerPage).
		SkipTotal(q.SkipTotal || count)
	if q.Sort != "" {
		provider.Sort(search.ParseSortFromString(q.Sort))
	}
	var (
		total    int
		countErr error
		counted  = make(chan struct{})
	)
	if count {
		countQuery := *query // the provider reads query meanwhile
		go func() {
			defer close(counted)
			countErr = countQuery.Select("COUNT(*)").Row(&total)
		}()
	} else {
		close(counted)
	}
	result, err := provider.Exec(dst)
	<-counted
	if err == nil {
		err = countErr
	}
	if err != nil {
		return nil, e.InternalServerError("", err)
	}
	if count {
		// What the provider answers beside a counted page (search.Provider.Exec;
		// TestListTotalsMatchTheRecordAPI holds the two equal).
		result.TotalItems = total
		result.TotalPages = int(math.Ceil(float64(total) / float64(result.PerPage)))
	}
	return result, nil
}

// joins reports whether resolving the rule and filters of query joins
// other tables to it (then a record may come in several rows).
func joins(query *dbx.SelectQuery, resolver *core.RecordFieldResolver) bool {
	probe := *query
	if err := resolver.UpdateQuery(&probe); err != nil {
		return true
	}
	info := probe.Info()
	return len(info.Join) > 0 || info.Distinct
}

// AllVisible is ListVisible without pages, for the children of a page that
// is already bounded (e.g. the windows of the listed teachers); q.Sort names
// plain columns only.
func AllVisible(e *core.RequestEvent, collectionName string, q ListQuery) ([]*core.Record, error) {
	query, resolver, err := visibleQuery(e, collectionName, q)
	if err != nil {
		return nil, err
	}
	if err := resolver.UpdateQuery(query); err != nil {
		return nil, e.InternalServerError("", err)
	}
	for _, s := range search.ParseSortFromString(q.Sort) {
		if s.Name != "" {
			query.AndOrderBy("[[" + collectionName + "." + s.Name + "]] " + s.Direction)
		}
	}
	records := []*core.Record{}
	if err := query.All(&records); err != nil {
		return nil, e.InternalServerError("", err)
	}
	return records, nil
}

// visibleQuery builds the select of collection under its ListRule (skipped
// for superusers; a nil rule admits superusers only) and q's filters.
func visibleQuery(e *core.RequestEvent, collectionName string, q ListQuery) (*dbx.SelectQuery, *core.RecordFieldResolver, error) {
	collection, err := e.App.FindCachedCollectionByNameOrId(collectionName)
	if err != nil {
		return nil, nil, e.InternalServerError("", err)
	}
	info, err := e.RequestInfo()
	if err != nil {
		return nil, nil, RequestError(e, err)
	}
	superuser := info.HasSuperuserAuth()
	if collection.ListRule == nil && !superuser {
		return nil, nil, e.ForbiddenError("Only superusers can perform this action.", nil)
	}

	query := e.App.RecordQuery(collection)
	if !superuser {
		// Only superusers receive hidden fields, so nobody else's list
		// reads them: a workflow run's state is up to megabytes of JSON
		// that PocketBase would parse for every row only to leave out.
		if columns := shownColumns(collection); columns != nil {
			query.Select(columns...)
		}
	}
	resolver := core.NewRecordFieldResolver(e.App, collection, info, true)
	if !superuser && *collection.ListRule != "" {
		rule, verdict := foldRule(*collection.ListRule, info.Auth)
		switch verdict {
		case alwaysFalse:
			query.AndWhere(dbx.NewExp("1=0"))
		case dependsOnRow:
			expr, err := search.FilterData(rule).BuildExpr(resolver)
			if err != nil {
				return nil, nil, e.InternalServerError("", err)
			}
			query.AndWhere(expr)
		}
	}
	if q.Filter != "" {
		expr, err := search.FilterData(q.Filter).BuildExpr(resolver, q.Params)
		if err != nil {
			return nil, nil, e.InternalServerError("", err)
		}
		query.AndWhere(expr)
	}
	for _, w := range q.Where {
		query.AndWhere(w)
	}
	return query, resolver, nil
}

// shownColumns are the columns of collection's fields that are not hidden,
// or nil when none is (then the query keeps its `*`).
func shownColumns(collection *core.Collection) []string {
	columns := make([]string, 0, len(collection.Fields))
	for _, f := range collection.Fields {
		if !f.GetHidden() {
			columns = append(columns, "[["+collection.Name+"."+f.GetName()+"]]")
		}
	}
	if len(columns) == len(collection.Fields) {
		return nil
	}
	return columns
}

// WriteTx runs a handler's check-and-write in one transaction; fn must use
// only txApp. Every custom-route write goes through it, so the check and the
// write see the same state and roll back together, and the audit log
// records the caller as the write's actor.
func WriteTx(e *core.RequestEvent, fn func(txApp core.App) error) error {
	return audit.RunInTransaction(e.App, audit.RequestActor(e), fn)
}

// infoWithBody is the caller's request info with body as the submitted data
// (a copy: the cached request info stays as the client sent it).
func infoWithBody(e *core.RequestEvent, body map[string]any) (*core.RequestInfo, error) {
	info, err := e.RequestInfo()
	if err != nil {
		return nil, RequestError(e, err)
	}
	clone := info.Clone()
	clone.Body = body
	return clone, nil
}

// IsSuperuser reports whether the caller is a superuser (who bypasses every
// rule and may write hidden fields).
func IsSuperuser(e *core.RequestEvent) bool {
	return e.Auth != nil && e.Auth.IsSuperuser()
}

// RequestError turns a failure to read the request (malformed JSON, a body
// over the limit) into PocketBase's error shape, keeping a 413 a 413.
func RequestError(e *core.RequestEvent, err error) error {
	if apiErr := AsAPIError(err); apiErr != nil {
		return apiErr
	}
	return e.BadRequestError("Failed to read the submitted data.", err)
}

// AsAPIError returns the API error err carries (e.g. one a hook returned,
// or a 413 from the body limit), or nil.
func AsAPIError(err error) *router.ApiError {
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	return nil
}
