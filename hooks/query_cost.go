package hooks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ganigeorgiev/fexpr"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/tools/search"
)

// The cost limits of a client's filter, sort and expand (issue 9 item 2).
// PocketBase joins one row per relation hop, but a back-relation
// (`x_via_y`) joins every row pointing back: opening a path it adds at
// most the back-related table's rows (linear), anywhere later it multiplies
// them (`teacher.lessons_via_teacher` joins each lesson to all of its
// teacher's lessons), and two different ones in one query multiply each
// other. The issue's `teacher.lessons_via_teacher.student.lessons_via_student…`
// ran for 24 s on a thousand lessons. `@collection.x` joins the whole of x
// to every row. A back-relation must run on an index of its field: without
// one every row of the list scans the whole back-related table
// (`makeup_credits_via_used_by.id != ""` took 4.8 s on the benchmark's
// lessons). The limits keep every request of bench/queries within a
// second on the benchmark data; the academy's own clients open a path with
// one back-relation (`availability_via_teacher`,
// `lesson_private_notes_via_lesson`) and follow at most two hops.
const (
	maxPathHops        = 3   // relation hops in one field or expand path
	maxHopsAfterBack   = 1   // relation hops after the back-relation opening a path (a multiple relation there fans out again)
	maxQueryBackRels   = 1   // different back-relations in a request's filter and sort (joined into one query)
	maxExpandBackRels  = 2   // different back-relations in an expand (fetched apart, per page)
	maxExpandBackPage  = 200 // records per page when an expand follows a back-relation (up to 1,000 rows fetched per record)
	maxParamRelations  = 12  // field paths with at least one hop in one filter or sort
	collectionMacro    = "@collection"
	authMacroPrefix    = "@request.auth."
	backRelationMarker = "_via_"
)

// pathCost is what one field path (or one expand path) costs.
type pathCost struct {
	path    string
	hops    int
	backRel string // the back-relation opening the path, if any
	after   int    // relation hops after backRel
	lateRel bool   // a back-relation after the first segment
	joinAll bool   // @collection
}

// fieldPathCost measures a filter or sort identifier: every segment before
// the last is a hop (the last is the field read). `@request.auth.` paths
// start from the one signed-in record; other macros cost nothing. JSON
// field paths (`data.a.b`) count as hops too: cheap, but rare enough here
// that the limit does not matter for them.
func fieldPathCost(identifier string) pathCost {
	c := pathCost{path: identifier}
	rest := identifier
	switch {
	case strings.HasPrefix(identifier, collectionMacro+"."):
		c.joinAll = true
		return c
	case strings.HasPrefix(identifier, authMacroPrefix):
		rest = strings.TrimPrefix(identifier, authMacroPrefix)
	case strings.HasPrefix(identifier, "@"):
		return c // @request.query…, @request.headers…, @now and the other macros
	}
	segments := segmentsOf(rest)
	c.hops = len(segments) - 1
	c.markBackRels(segments, c.hops) // a back-relation read as the last segment joins too
	return c
}

// expandPathCost measures an expand path: every segment is a relation
// fetched.
func expandPathCost(path string) pathCost {
	c := pathCost{path: path}
	segments := segmentsOf(path)
	c.hops = len(segments)
	c.markBackRels(segments, c.hops)
	return c
}

// segmentsOf splits a path, dropping modifiers (:each, :length…).
func segmentsOf(path string) []string {
	segments := strings.Split(path, ".")
	for i, s := range segments {
		segments[i], _, _ = strings.Cut(s, ":")
	}
	return segments
}

// markBackRels notes the back-relations among a path's segments, of which
// the first hops are relations.
func (c *pathCost) markBackRels(segments []string, hops int) {
	for i, s := range segments {
		if !strings.Contains(s, backRelationMarker) {
			continue
		}
		if i == 0 {
			c.backRel, c.after = s, max(0, hops-1)
		} else {
			c.lateRel = true
		}
	}
}

// backRelIndexed tells whether collection has an index led by field (a
// collection or field it does not know counts as indexed: PocketBase then
// refuses the path itself).
type backRelIndexed func(collection, field string) bool

// check refuses a path that costs too much on its own.
func (c pathCost) check(indexed backRelIndexed) error {
	switch {
	case c.joinAll:
		return fmt.Errorf("%q joins a whole collection; @collection is not allowed here.", c.path)
	case c.hops > maxPathHops:
		return fmt.Errorf("%q follows %d relations; at most %d are allowed in one path.", c.path, c.hops, maxPathHops)
	case c.lateRel:
		return fmt.Errorf("%q follows a back-relation (_via_) after another relation; a back-relation may only open a path.", c.path)
	case c.after > maxHopsAfterBack:
		return fmt.Errorf("%q follows %d relations after its back-relation (_via_); at most %d is allowed.", c.path, c.after, maxHopsAfterBack)
	}
	if collection, field, ok := strings.Cut(c.backRel, backRelationMarker); ok && !indexed(collection, field) {
		return fmt.Errorf("%q follows a back-relation through %s.%s, which has no index.", c.path, collection, field)
	}
	return nil
}

// paramPaths lists the paths of one filter, sort or expand value. A filter
// PocketBase cannot parse lists nothing: PocketBase answers its own 400.
func paramPaths(param, value string) []pathCost {
	var out []pathCost
	switch param {
	case "filter":
		groups, err := fexpr.Parse(value)
		if err != nil {
			return nil
		}
		for _, id := range filterIdentifiers(groups, nil) {
			out = append(out, fieldPathCost(id))
		}
	case "sort":
		for _, f := range search.ParseSortFromString(value) {
			out = append(out, fieldPathCost(f.Name))
		}
	case "expand":
		for _, p := range strings.Split(value, ",") {
			if p = strings.Trim(strings.ReplaceAll(p, " ", ""), "."); p != "" {
				out = append(out, expandPathCost(p))
			}
		}
	}
	return out
}

// queryParamErrors checks a request's filter, sort and expand together (the
// filter's and the sort's joins share one query; an expand's back-relations
// cost per record of the page) and names the first parameter that costs too
// much.
func queryParamErrors(get func(string) string, indexed backRelIndexed) validation.Errors {
	joined := map[string]bool{} // back-relations joined by the filter and the sort
	for _, param := range []string{"filter", "sort"} {
		if err := checkFieldParam(param, paramPaths(param, get(param)), joined, indexed); err != nil {
			return validation.Errors{param: validation.NewError("validation_query_too_costly", err.Error())}
		}
	}
	if err := checkExpand(paramPaths("expand", get("expand")), get("perPage"), indexed); err != nil {
		return validation.Errors{"expand": validation.NewError("validation_query_too_costly", err.Error())}
	}
	return nil
}

func checkFieldParam(param string, paths []pathCost, joined map[string]bool, indexed backRelIndexed) error {
	relations := 0
	for _, c := range paths {
		if err := c.check(indexed); err != nil {
			return err
		}
		if c.hops > 0 {
			relations++
		}
		if c.backRel != "" {
			joined[c.backRel] = true
		}
		if len(joined) > maxQueryBackRels {
			return fmt.Errorf("The filter and sort follow %d different back-relations (_via_); at most %d is allowed.", len(joined), maxQueryBackRels)
		}
	}
	if relations > maxParamRelations {
		return fmt.Errorf("The %s follows relations in %d paths; at most %d are allowed.", param, relations, maxParamRelations)
	}
	return nil
}

func checkExpand(paths []pathCost, perPage string, indexed backRelIndexed) error {
	backRels := map[string]bool{} // PocketBase fetches a shared prefix once
	for _, c := range paths {
		if err := c.check(indexed); err != nil {
			return err
		}
		if c.backRel != "" {
			backRels[c.backRel] = true
		}
	}
	if len(backRels) > maxExpandBackRels {
		return fmt.Errorf("The expand follows %d different back-relations (_via_); at most %d are allowed.", len(backRels), maxExpandBackRels)
	}
	if n, err := strconv.Atoi(perPage); len(backRels) > 0 && err == nil && n > maxExpandBackPage {
		return fmt.Errorf("An expand that follows a back-relation (_via_) allows at most %d records per page; ask for perPage=%d or fewer.", maxExpandBackPage, maxExpandBackPage)
	}
	return nil
}

// filterIdentifiers collects every field path of a parsed filter, including
// the arguments of functions (geoDistance…) and nested groups.
func filterIdentifiers(groups []fexpr.ExprGroup, into []string) []string {
	for _, g := range groups {
		switch item := g.Item.(type) {
		case fexpr.Expr:
			into = tokenIdentifiers(item.Left, into)
			into = tokenIdentifiers(item.Right, into)
		case []fexpr.ExprGroup:
			into = filterIdentifiers(item, into)
		}
	}
	return into
}

func tokenIdentifiers(t fexpr.Token, into []string) []string {
	switch t.Type {
	case fexpr.TokenIdentifier:
		into = append(into, t.Literal)
	case fexpr.TokenFunction:
		args, _ := t.Meta.([]fexpr.Token)
		for _, a := range args {
			into = tokenIdentifiers(a, into)
		}
	case fexpr.TokenGroup:
		if nested, err := fexpr.Parse(t.Literal); err == nil {
			into = filterIdentifiers(nested, into)
		}
	}
	return into
}
