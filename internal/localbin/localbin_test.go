package localbin

import (
	"net"
	"strconv"
	"testing"
)

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		name  string
		found bool
	}{
		{"go", true}, // the toolchain running this test
		{"no-such-tool-cedarheights", false},
	} {
		if got := Find(tc.name); (got != "") != tc.found {
			t.Errorf("Find(%q) = %q, want found=%v", tc.name, got, tc.found)
		}
	}
}

func TestFreePortCanBeListenedOn(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(Port(t)))
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
}
