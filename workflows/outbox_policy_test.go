package workflows

import (
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestPermanentMailError(t *testing.T) {
	reply := func(code int, msg string) error { return &textproto.Error{Code: code, Msg: msg} }
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	cases := []struct {
		name        string
		err         error
		permanent   bool
		unreachable bool
	}{
		{"unknown mailbox", reply(550, "5.1.1 <x@y.test>: Recipient address rejected: User unknown"), true, false},
		{"mailpit's refused recipient", reply(550, "5.1.0 Requested action not taken: mailbox unavailable"), true, false},
		{"bad destination domain", reply(550, "5.1.2 Bad destination system address"), true, false},
		{"mailbox disabled", reply(550, "5.2.1 The email account that you tried to reach is disabled"), true, false},
		{"message too big", reply(552, "5.3.4 Message size exceeds fixed limit"), true, false},
		{"content refused", reply(554, "5.6.0 Corrupt message content"), true, false},
		{"wrapped", fmt.Errorf("send: %w", reply(550, "5.1.1 no such user")), true, false},
		{"a mail that cannot be built", unsendable{errors.New("recipient: bad")}, true, false},

		{"sender rejected (setup)", reply(553, "5.1.8 Sender address rejected: Domain not found"), false, false},
		{"sender not allowed (setup)", reply(550, "5.1.7 Invalid sender"), false, false},
		{"authentication (setup)", reply(535, "5.7.8 Username and Password not accepted"), false, false},
		{"auth required (setup)", reply(530, "5.7.0 Authentication required"), false, false},
		{"relaying denied (setup)", reply(550, "5.7.1 Relaying denied"), false, false},
		{"protocol error", reply(503, "5.5.1 Bad sequence of commands"), false, false},
		{"no enhanced status", reply(550, "Mailbox unavailable"), false, false},
		{"temporary", reply(451, "4.3.0 Try again later"), false, false},
		{"greylisted", reply(450, "4.2.0 Greylisted, try again"), false, false},
		{"connection refused", refused, false, true},
		{"wrapped connection error", fmt.Errorf("send: %w", refused), false, true},
		{"timeout", &net.OpError{Op: "dial", Err: errors.New("i/o timeout")}, false, true},
		{"anything else", errors.New("EOF"), false, false},
	}
	for _, c := range cases {
		reason, permanent := permanentMailError(c.err)
		if permanent != c.permanent {
			t.Errorf("%s: permanent = %v, want %v", c.name, permanent, c.permanent)
		}
		if permanent && reason == "" {
			t.Errorf("%s: no reason", c.name)
		}
		var tp *textproto.Error
		if permanent && errors.As(c.err, &tp) && !strings.Contains(reason, fmt.Sprint(tp.Code)) {
			t.Errorf("%s: reason %q lacks the reply", c.name, reason)
		}
		if got := serverUnreachable(c.err); got != c.unreachable {
			t.Errorf("%s: unreachable = %v, want %v", c.name, got, c.unreachable)
		}
	}
}

// The wait between attempts stays between a second and 15 minutes however
// many attempts failed, and its ceiling grows from 30 s.
func TestMailBackoffIsCapped(t *testing.T) {
	for attempt := 1; attempt <= 1000; attempt++ {
		for range 20 {
			d := mailBackoff(attempt)
			ceiling := min(mailRetryInitial<<min(attempt-1, 20), mailRetryMax)
			if d < time.Second || d > max(ceiling, time.Second) {
				t.Fatalf("attempt %d: wait %s outside [1s, %s]", attempt, d, ceiling)
			}
		}
	}
}
