package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
)

// edge is one step of a field path: a relation field, or a back-relation
// (`lessons_via_teacher`) from the collection it points to.
type edge struct {
	segment, to string
	back        bool
}

// graph is the schema's relations, read from the running server.
type graph struct {
	edges   map[string][]edge
	lessons int
}

// Where the generated requests start: the collections parents, teachers
// and the admin list through the record API.
var starts = []string{"lessons", "students", "teachers", "enrollments", "availability", "makeup_credits", "users"}

func loadGraph(srv server, superuser string) (*graph, error) {
	var list struct {
		Items []struct {
			Id, Name string
			Fields   []struct {
				Name, Type, CollectionId string
			}
		}
	}
	if err := srv.getJSON("/api/collections?perPage=500", superuser, &list); err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, c := range list.Items {
		names[c.Id] = c.Name
	}
	g := &graph{edges: map[string][]edge{}}
	for _, c := range list.Items {
		for _, f := range c.Fields {
			to := names[f.CollectionId]
			if f.Type != "relation" || to == "" || strings.HasPrefix(c.Name, "_") {
				continue
			}
			g.edges[c.Name] = append(g.edges[c.Name], edge{segment: f.Name, to: to})
			g.edges[to] = append(g.edges[to], edge{segment: c.Name + "_via_" + f.Name, to: c.Name, back: true})
		}
	}
	var total struct {
		TotalItems int `json:"totalItems"`
	}
	if err := srv.getJSON("/api/collections/lessons/records?perPage=1", superuser, &total); err != nil {
		return nil, err
	}
	g.lessons = total.TotalItems
	return g, nil
}

// walk follows up to n relations from start, taking a back-relation with
// probability back when there is one.
func (g *graph) walk(r *rand.Rand, start string, n int, back float64) []string {
	var path []string
	at := start
	for range n {
		var fwd, bwd []edge
		for _, e := range g.edges[at] {
			if e.back {
				bwd = append(bwd, e)
			} else {
				fwd = append(fwd, e)
			}
		}
		pool := fwd
		if len(bwd) > 0 && (len(fwd) == 0 || r.Float64() < back) {
			pool = bwd
		}
		if len(pool) == 0 {
			break
		}
		e := pool[r.IntN(len(pool))]
		path = append(path, e.segment)
		at = e.to
	}
	return path
}

// withinPaths builds k of the costliest paths the limits accept: each is a
// back-relation (one, shared, when start has one) opening the path, then at
// most one forward hop; or up to three forward hops.
func (g *graph) withinPaths(r *rand.Rand, start string, k int) [][]string {
	back := g.walk(r, start, 1, 1)
	hasBack := len(back) == 1 && strings.Contains(back[0], "_via_")
	var out [][]string
	for range k {
		if hasBack && r.IntN(2) == 0 {
			out = append(out, append(slices.Clone(back), g.walkFrom(r, back[0], r.IntN(2))...))
		} else {
			out = append(out, g.walk(r, start, 1+r.IntN(3), 0))
		}
	}
	return out
}

var filterOps = []string{`?!= ""`, `!= ""`, `?= "x"`, `?~ "a"`}

// generate builds n filters, n sorts and n expands: deep ones (up to seven
// relations), wide ones (up to ten paths), and, for about half, the
// costliest shapes the limits accept (withinPath).
func generate(g *graph, r *rand.Rand, n int) []request {
	var set []request
	pick := func() string { return starts[r.IntN(len(starts))] }
	perPage := func(q url.Values) {
		if v := []string{"", "", "200", "500", "1000"}[r.IntN(5)]; v != "" {
			q.Set("perPage", v)
		}
	}
	for range n {
		c := pick()
		q := url.Values{}
		var terms []string
		hops := 0
		switch r.IntN(3) {
		case 0: // deep
			p := g.walk(r, c, 1+r.IntN(7), 0.6)
			hops = len(p)
			terms = append(terms, strings.Join(append(p, "id"), ".")+" "+filterOps[r.IntN(len(filterOps))])
		case 1: // wide
			for range 2 + r.IntN(9) {
				p := g.walk(r, c, 1+r.IntN(3), 0.5)
				hops = max(hops, len(p))
				terms = append(terms, strings.Join(append(p, "id"), ".")+" "+filterOps[r.IntN(len(filterOps))])
			}
		default: // within the limits
			for _, p := range g.withinPaths(r, c, 1+r.IntN(4)) {
				hops = max(hops, len(p))
				terms = append(terms, strings.Join(append(p, "id"), ".")+" "+filterOps[r.IntN(len(filterOps))])
			}
		}
		join := []string{" || ", " && "}[r.IntN(2)]
		q.Set("filter", strings.Join(terms, join))
		perPage(q)
		set = append(set, request{kind: "filter", collection: c, query: q, hops: hops})
	}
	for range n {
		c := pick()
		q := url.Values{}
		var fields []string
		hops := 0
		within := g.withinPaths(r, c, 3)
		useWithin := r.IntN(2) == 0
		for i := range 1 + r.IntN(3) {
			p := g.walk(r, c, r.IntN(6), 0.5)
			if useWithin {
				p = within[i]
			}
			hops = max(hops, len(p))
			fields = append(fields, []string{"", "-", "+"}[r.IntN(3)]+strings.Join(append(p, "id"), "."))
		}
		q.Set("sort", strings.Join(fields, ","))
		set = append(set, request{kind: "sort", collection: c, query: q, hops: hops})
	}
	for range n {
		c := pick()
		q := url.Values{}
		var paths []string
		hops := 0
		within := g.withinPaths(r, c, 4)
		useWithin := r.IntN(2) == 0
		for i := range 1 + r.IntN(4) {
			p := g.walk(r, c, 1+r.IntN(5), 0.5)
			if useWithin {
				p = within[i]
			}
			if len(p) == 0 {
				continue
			}
			hops = max(hops, len(p))
			paths = append(paths, strings.Join(p, "."))
		}
		q.Set("expand", strings.Join(paths, ","))
		perPage(q)
		set = append(set, request{kind: "expand", collection: c, query: q, hops: hops})
	}
	return set
}

// walkFrom continues a path after its back-relation segment (which leads
// to the collection named before "_via_").
func (g *graph) walkFrom(r *rand.Rand, backRel string, n int) []string {
	to, _, ok := strings.Cut(backRel, "_via_")
	if !ok {
		panic(fmt.Sprintf("not a back-relation: %s", backRel))
	}
	return g.walk(r, to, n, 0)
}
