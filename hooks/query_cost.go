package hooks

import (
	"fmt"
	"strings"

	"github.com/ganigeorgiev/fexpr"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/tools/search"
)

// The cost limits of a client's filter, sort and expand (issue 9 item 2).
// PocketBase turns every relation hop of a field path into a join and every
// back-relation (`x_via_y`) or `@collection.x` into a join that fans out
// to all the rows pointing back; chained, they multiply: the issue's
// `teacher.lessons_via_teacher.student.lessons_via_student…` ran for 24 s on
// a thousand lessons. The academy's own clients need one back-relation
// (`availability_via_teacher`, `lesson_private_notes_via_lesson`) and at most
// two hops.
const (
	maxPathHops       = 3  // relation hops in one field path
	maxPathFanOuts    = 1  // back-relations / @collection joins in one field path
	maxParamFanOuts   = 2  // back-relations / @collection joins in one parameter
	maxParamRelations = 12 // field paths with at least one hop in one parameter
)

// queryCost is what one field path (or one expand path) costs.
type queryCost struct {
	hops, fanOuts int
}

// pathCost measures a filter or sort identifier: every segment before the
// last is a hop (the last one is the field read). `@request.auth.` paths
// start from the signed-in record, `@collection.x.` adds a fan-out join,
// other macros cost nothing. JSON field paths (`data.a.b`) count as hops
// too: cheap, but rare enough that the limit does not matter for them.
func pathCost(identifier string) queryCost {
	segments := strings.Split(identifier, ".")
	for i, s := range segments {
		segments[i], _, _ = strings.Cut(s, ":") // modifiers (:each, :length…) and @collection aliases
	}
	var c queryCost
	switch {
	case len(segments) > 2 && segments[0] == "@collection":
		c.fanOuts++
		c.hops++
		segments = segments[2:]
	case len(segments) > 2 && segments[0] == "@request" && segments[1] == "auth":
		segments = segments[2:]
	case strings.HasPrefix(identifier, "@"):
		return c // @request.query…, @request.headers…, @now and the other macros
	}
	c.hops += len(segments) - 1
	for _, s := range segments {
		if strings.Contains(s, "_via_") {
			c.fanOuts++
		}
	}
	return c
}

// expandCost measures an expand path: every segment is a relation fetched.
func expandCost(path string) queryCost {
	c := queryCost{}
	for _, s := range strings.Split(path, ".") {
		if s == "" {
			continue
		}
		c.hops++
		if strings.Contains(s, "_via_") {
			c.fanOuts++
		}
	}
	return c
}

// checkQueryParam returns the reason a filter, sort or expand value costs
// too much, or nil. A value PocketBase cannot parse is left to PocketBase,
// which answers its own 400.
func checkQueryParam(param, value string) error {
	if value == "" {
		return nil
	}
	var paths []string
	cost := pathCost
	switch param {
	case "filter":
		groups, err := fexpr.Parse(value)
		if err != nil {
			return nil
		}
		paths = filterIdentifiers(groups, nil)
	case "sort":
		for _, f := range search.ParseSortFromString(value) {
			paths = append(paths, f.Name)
		}
	case "expand":
		for _, p := range strings.Split(value, ",") {
			if p = strings.Trim(strings.ReplaceAll(p, " ", ""), "."); p != "" {
				paths = append(paths, p)
			}
		}
		cost = expandCost
	default:
		return nil
	}
	relations, fanOuts := 0, 0
	for _, p := range paths {
		c := cost(p)
		switch {
		case c.hops > maxPathHops:
			return fmt.Errorf("%q follows %d relations; at most %d are allowed in one path.", p, c.hops, maxPathHops)
		case c.fanOuts > maxPathFanOuts:
			return fmt.Errorf("%q follows %d back-relations (_via_ or @collection); at most %d is allowed in one path.", p, c.fanOuts, maxPathFanOuts)
		}
		if c.hops > 0 {
			relations++
		}
		fanOuts += c.fanOuts
	}
	switch {
	case fanOuts > maxParamFanOuts:
		return fmt.Errorf("The %s follows %d back-relations (_via_ or @collection); at most %d are allowed.", param, fanOuts, maxParamFanOuts)
	case relations > maxParamRelations:
		return fmt.Errorf("The %s follows relations in %d paths; at most %d are allowed.", param, relations, maxParamRelations)
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

// queryParamErrors checks the filter, sort and expand of a query and names
// the first one that costs too much.
func queryParamErrors(get func(string) string) validation.Errors {
	for _, param := range []string{"filter", "sort", "expand"} {
		if err := checkQueryParam(param, get(param)); err != nil {
			return validation.Errors{param: validation.NewError("validation_query_too_costly", err.Error())}
		}
	}
	return nil
}
