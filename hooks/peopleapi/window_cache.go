package peopleapi

import (
	"encoding/json"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"cedarheights/hooks"
	"cedarheights/records"
)

// window_cache.go: each teacher's windows, as ?availability=1 embeds
// them, encoded once and kept until a window changes. Windows change a few
// times a term; loading and encoding four records a teacher on every
// request held the list at 0.60× the built-in list (issue 14).
//
// The availability ListRule still decides per request: the encodings are
// served only to callers it admits wholesale (hooks.SeesAll); everyone else
// takes the query under the rule (embedAvailability). An encoding is kept
// for the availability_version it was made at (pb_migrations
// 1765100400_availability_version.go: triggers bump it with every write of a
// window, in the write's transaction) and for the collection it was made
// with (a schema change reloads it).

const windowsCacheKey = "peopleapi.teacherWindows"

type windowsCache struct {
	checkOnce sync.Once
	active    bool // the version's triggers are all there

	mu         sync.Mutex
	collection *core.Collection
	version    int64
	byTeacher  map[string]json.RawMessage
}

// versionTriggers are the migration's triggers on availability. A table
// rebuilt by a later migration would lose them and the version would stop
// moving; without all three nothing is kept (checked once per app).
var versionTriggers = []string{"availability_version_insert", "availability_version_update", "availability_version_delete"}

func (c *windowsCache) triggersPresent(app core.App) bool {
	c.checkOnce.Do(func() {
		missing, err := records.MissingTriggers(app, versionTriggers...)
		switch {
		case err != nil:
			app.Logger().Error("teachers' windows: cannot list the triggers; windows are read per request", "error", err)
		case len(missing) > 0:
			app.Logger().Error("teachers' windows: triggers are missing; windows are read per request", "missing", missing)
		default:
			c.active = true
		}
	})
	return c.active
}

func windowsCacheOf(app core.App) *windowsCache {
	return app.Store().GetOrSet(windowsCacheKey, func() any { return &windowsCache{} }).(*windowsCache)
}

// cachedWindows answers the encoded windows of each of ids, or ok false
// when this request must take the query under the rule: the caller is not
// admitted to every window, the request expands (the windows would be
// expanded too) or picks fields (e.JSON picks from records), or the
// collection has hidden fields (whether a caller sees them differs). The
// encodings skip OnRecordEnrich, as the academy binds no handler to it.
func cachedWindows(e *core.RequestEvent, ids []string) (map[string]json.RawMessage, bool, error) {
	if q := e.Request.URL.Query(); q.Get("expand") != "" || q.Has("fields") {
		return nil, false, nil
	}
	collection, err := e.App.FindCachedCollectionByNameOrId("availability")
	if err != nil {
		return nil, false, e.InternalServerError("", err)
	}
	for _, f := range collection.Fields {
		if f.GetHidden() {
			return nil, false, nil
		}
	}
	if all, err := hooks.SeesAll(e, "availability"); err != nil || !all {
		return nil, false, err
	}
	c := windowsCacheOf(e.App)
	if !c.triggersPresent(e.App) {
		return nil, false, nil
	}
	// The version is read before the windows: an encoding kept for it holds
	// windows at least as new as the version says.
	var version int64
	if err := e.App.DB().NewQuery("SELECT version FROM availability_version WHERE id = 1").Row(&version); err != nil {
		return nil, false, e.InternalServerError("", err)
	}

	out := make(map[string]json.RawMessage, len(ids))
	var missing []any
	c.mu.Lock()
	if c.collection != collection || version > c.version {
		c.collection, c.version, c.byTeacher = collection, version, map[string]json.RawMessage{}
	}
	current := c.version == version // else this request read an older version: serve it uncached
	for _, id := range ids {
		if raw, ok := c.byTeacher[id]; ok && current {
			out[id] = raw
		} else {
			missing = append(missing, id)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, true, nil
	}

	windows := []*core.Record{}
	err = e.App.RecordQuery(collection).
		AndWhere(dbx.In("availability.teacher", missing...)).
		OrderBy("teacher", "weekday", "start_time", "id").
		All(&windows)
	if err != nil {
		return nil, false, e.InternalServerError("", err)
	}
	byTeacher := make(map[string][]*core.Record, len(missing))
	for _, w := range windows {
		byTeacher[w.GetString("teacher")] = append(byTeacher[w.GetString("teacher")], w)
	}
	encoded := make(map[string]json.RawMessage, len(missing))
	for _, id := range missing {
		found := byTeacher[id.(string)]
		if found == nil {
			found = []*core.Record{}
		}
		raw, err := json.Marshal(found)
		if err != nil {
			return nil, false, e.InternalServerError("", err)
		}
		encoded[id.(string)] = raw
		out[id.(string)] = raw
	}
	c.mu.Lock()
	if c.collection == collection && c.version == version {
		for id, raw := range encoded {
			c.byTeacher[id] = raw
		}
	}
	c.mu.Unlock()
	return out, true, nil
}
