package workflows

import (
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"regexp"
	"strconv"
	"time"
)

// outbox_policy.go: when the outbox tries again and when it gives up.
//
// SMTP being down or refusing for a while (4xx, a wrong password, a
// relay not yet allowed) is not a reason to lose mail: the message is
// retried with exponential backoff from 30 s, capped at 15 minutes, so it
// leaves at most about a quarter of an hour after the server is back. It is
// marked failed, with the reason in failed_reason, only when
//   - the server refuses it for good: a 5xx reply whose enhanced status
//     (RFC 3463) is about the recipient or the message (5.1.x except the
//     sender's 5.1.7/5.1.8, 5.2.x, 5.3.4, 5.6.x), or the row itself cannot
//     be sent (an address or attachment that does not parse); or
//   - it stays undelivered for MailGiveUpAfter (3 days).
// Other 5xx replies (authentication, relaying, policy, or none of the
// above without an enhanced status) are most often the server's setup, which
// an admin can fix: they retry until the bound like a 4xx.

const (
	mailRetryInitial = 30 * time.Second
	mailRetryMax     = 15 * time.Minute
)

// MailGiveUpAfter is how long a message is retried before it is marked
// failed.
const MailGiveUpAfter = 72 * time.Hour

// mailBackoff is the wait after the failed attempt number attempt
// (1-based): full jitter under a ceiling doubling from 30 s to 15 min, and
// at least a second.
func mailBackoff(attempt int) time.Duration {
	return max(RetryPolicy{Initial: mailRetryInitial, Max: mailRetryMax}.backoff(attempt), time.Second)
}

// unsendable marks a row that cannot become a message (a bad address, a
// broken attachment): retrying cannot help.
type unsendable struct{ err error }

func (u unsendable) Error() string { return "cannot send: " + u.err.Error() }
func (u unsendable) Unwrap() error { return u.err }

var enhancedStatus = regexp.MustCompile(`^5\.(\d{1,3})\.(\d{1,3})\b`)

// permanentMailError says whether err means the message can never be
// delivered as it is, and why in words.
func permanentMailError(err error) (string, bool) {
	var u unsendable
	if errors.As(err, &u) {
		return u.Error(), true
	}
	var reply *textproto.Error
	if !errors.As(err, &reply) || reply.Code < 500 || reply.Code > 599 {
		return "", false
	}
	m := enhancedStatus.FindStringSubmatch(reply.Msg)
	if m == nil {
		return "", false
	}
	class, _ := strconv.Atoi(m[1])
	detail, _ := strconv.Atoi(m[2])
	permanent := false
	switch class {
	case 1: // addressing
		permanent = detail != 7 && detail != 8 // 5.1.7/5.1.8: our sender address, a setup problem
	case 2: // the mailbox
		permanent = true
	case 3: // the mail system: only "message too big"
		permanent = detail == 4
	case 6: // the message's content
		permanent = true
	}
	if !permanent {
		return "", false
	}
	return fmt.Sprintf("refused by the SMTP server: %d %s", reply.Code, reply.Msg), true
}

// serverUnreachable says whether err is about reaching the SMTP server
// rather than this message: the rest of the pass would fail the same way.
func serverUnreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}
