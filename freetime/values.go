package freetime

import (
	"github.com/pocketbase/pocketbase/core"
)

// Value returns what derive made of the watched rows (doc.go) at the
// current counter value, deriving it once per value: the settings, a
// teacher's profile and windows, the teachers of an instrument. derive must
// read nothing the counter does not watch. A nil cache derives every time.
// A request that asks for several things takes a Snapshot and uses
// ValueAt.
func Value[T any](c *Cache, app core.App, key string, derive func() (T, error)) (T, error) {
	s, err := c.At(app)
	if err != nil {
		var zero T
		return zero, err
	}
	return ValueAt(s, key, derive)
}

// ValueAt is Value at the snapshot's counter value.
func ValueAt[T any](s *Snapshot, key string, derive func() (T, error)) (T, error) {
	if !s.active {
		return derive()
	}
	c := s.c
	var got any
	var ok bool
	current := s.read(func() { got, ok = c.values[key] })
	if current && ok {
		return got.(T), nil
	}
	value, err := derive()
	if err != nil {
		return value, err
	}
	if current && s.unchanged() {
		c.mu.Lock()
		if c.version == s.version {
			if len(c.values) >= maxAnswers {
				c.values = map[string]any{}
			}
			c.values[key] = value
		}
		c.mu.Unlock()
	}
	return value, nil
}
