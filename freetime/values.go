package freetime

import (
	"github.com/pocketbase/pocketbase/core"
)

// Value returns what derive made of the watched rows (doc.go) at the
// current counter value, deriving it once per value: the settings, a
// teacher's profile and windows, the teachers of an instrument. derive must
// read nothing the counter does not watch. A nil cache derives every time.
func Value[T any](c *Cache, app core.App, key string, derive func() (T, error)) (T, error) {
	if !c.Active(app) {
		return derive()
	}
	v, err := version(app)
	if err != nil {
		var zero T
		return zero, err
	}
	c.mu.Lock()
	if c.version != v {
		c.reset(v)
	}
	got, ok := c.values[key]
	c.mu.Unlock()
	if ok {
		return got.(T), nil
	}
	value, err := derive()
	if err != nil {
		return value, err
	}
	if after, err := version(app); err == nil && after == v {
		c.mu.Lock()
		if c.version == v {
			if len(c.values) >= maxAnswers {
				c.values = map[string]any{}
			}
			c.values[key] = value
		}
		c.mu.Unlock()
	}
	return value, nil
}
