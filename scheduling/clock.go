package scheduling

import (
	"errors"
	"fmt"
)

// Clock is a wall-clock time of day in minutes after local midnight
// (0 … 1440; 1440 is "24:00", the end of the day).
type Clock int

// ErrInvalidClock is returned for anything that is not HH:MM within a day.
var ErrInvalidClock = errors.New("must be a time of day as HH:MM")

// ParseClock reads "HH:MM" (00:00 … 24:00).
func ParseClock(s string) (Clock, error) {
	if len(s) != 5 || s[2] != ':' || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[3]) || !isDigit(s[4]) {
		return 0, ErrInvalidClock
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, ErrInvalidClock
	}
	return Clock(h*60 + m), nil
}

// String formats c as HH:MM.
func (c Clock) String() string {
	return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60)
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
