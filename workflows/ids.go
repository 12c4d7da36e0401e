package workflows

import (
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
)

// ids.go: run and step ids in PocketBase's shape (15 characters of
// [a-z0-9]) that sort by creation time: 8 base-36 digits of the Unix
// millisecond, then 7 random characters. Rows written together then sit
// together in the primary-key indexes (and, through the run id, in the
// steps' (run, created) index), so a group commit dirties a few pages
// instead of one per row in each index: a random id costs a page per row
// in each index it keys, and every dirty page is a frame in the WAL and a
// page written back at its checkpoint.

const timeDigits = 8 // base 36: enough until the year 2059

func newID() string {
	ts := strconv.FormatInt(time.Now().UnixMilli(), 36)
	if len(ts) < timeDigits {
		ts = strings.Repeat("0", timeDigits-len(ts)) + ts
	}
	return ts + security.PseudorandomStringWithAlphabet(core.DefaultIdLength-len(ts), core.DefaultIdAlphabet)
}
