package freetime

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"cedarheights/academy"
)

// Snapshot is the cache as one request sees it: the counter is read once,
// when the request takes it (At), and every value, calendar and free day
// the request asks for comes from what was kept at that value, so a
// request that asks for five things reads the counter once, not five
// times. Anything derived afresh is still kept only if the counter has not
// moved since the snapshot was taken.
type Snapshot struct {
	c       *Cache
	app     core.App
	version int64
	active  bool // the cache may answer (Cache.Active)
}

// At reads the counter and returns the cache at that value, for a
// request (the warm-up yields to them). A nil or inactive cache gives a
// snapshot that derives every answer afresh.
func (c *Cache) At(app core.App) (*Snapshot, error) {
	if c != nil {
		c.lastRequest.Store(time.Now().UnixNano())
	}
	return c.at(app)
}

// at is At without counting a request.
func (c *Cache) at(app core.App) (*Snapshot, error) {
	s := &Snapshot{c: c, app: app}
	if !c.Active(app) {
		return s, nil
	}
	v, err := version(app)
	if err != nil {
		return nil, err
	}
	s.version, s.active = v, true
	return s, nil
}

// Settings is academy.Load at the snapshot's counter value (the academy
// row is watched).
func (s *Snapshot) Settings() (academy.Settings, error) {
	return ValueAt(s, "academy", func() (academy.Settings, error) { return academy.Load(s.app) })
}

// read runs f on what the cache keeps if that was derived at the
// snapshot's counter value, under the shared lock, and reports whether it
// ran. A snapshot newer than the cache first moves the cache to its value
// (under the exclusive lock; f then finds it empty).
func (s *Snapshot) read(f func()) bool {
	c := s.c
	c.mu.RLock()
	if s.version <= c.version {
		current := s.version == c.version
		if current {
			f()
		}
		c.mu.RUnlock()
		return current
	}
	c.mu.RUnlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	current := s.current()
	if current {
		f()
	}
	return current
}

// current moves the cache to the snapshot's counter value when that is the
// newer one, and reports whether what the cache keeps was derived at it. A
// snapshot older than the cache (a write committed since it was taken)
// neither reads nor keeps anything: the cache holds newer answers. The
// caller holds c.mu alone.
func (s *Snapshot) current() bool {
	if s.version > s.c.version {
		s.c.reset(s.version)
	}
	return s.version == s.c.version
}

// unchanged reports whether the counter still holds the snapshot's value,
// so that what was derived since it was taken may be kept.
func (s *Snapshot) unchanged() bool {
	after, err := version(s.app)
	return err == nil && after == s.version
}
