package freetime

import (
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// maxAnswers and maxAnswerBytes bound the kept answers (a stream of odd
// queries must not fill the memory); past either they start again.
const (
	maxAnswers     = 10_000
	maxAnswerBytes = 64 << 20
)

// answer is an encoded response derived at one counter value.
type answer struct {
	body  []byte
	until time.Time // it holds while the clock has not passed this; zero: for the whole version
}

// Answer returns the answer kept under key for the current counter value,
// or derives, keeps and returns it. derive must depend only on key, the
// rows the counter watches (doc.go) and the clock, and says until when
// the clock leaves its answer unchanged (a free slot drops out once it
// has begun). A nil cache derives every time.
func (c *Cache) Answer(app core.App, key string, derive func() (body []byte, until time.Time, err error)) ([]byte, error) {
	s, err := c.At(app)
	if err != nil {
		return nil, err
	}
	return s.Answer(key, derive)
}

// Answer is Cache.Answer at the snapshot's counter value.
func (s *Snapshot) Answer(key string, derive func() (body []byte, until time.Time, err error)) ([]byte, error) {
	if !s.active {
		body, _, err := derive()
		return body, err
	}
	c := s.c
	var a answer
	var ok bool
	current := s.read(func() { a, ok = c.answers[key] })
	if current && ok && (a.until.IsZero() || !time.Now().After(a.until)) {
		return a.body, nil
	}
	if !current {
		body, _, err := derive()
		return body, err
	}
	v, err := s.shared("answer "+key, func() (any, error) {
		body, until, err := derive()
		if err != nil || !s.unchanged() {
			return body, err
		}
		c.mu.Lock()
		if c.version == s.version {
			if len(c.answers) >= maxAnswers || c.answerBytes+len(body) > maxAnswerBytes {
				c.answers, c.answerBytes = map[string]answer{}, 0
			}
			c.answers[key] = answer{body: body, until: until}
			c.answerBytes += len(body)
		}
		c.mu.Unlock()
		return body, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}
