package opsapi

import "testing"

// UseSendmail makes the health check see path as the sendmail binary (""
// for none) until the test ends, whatever the machine has.
func UseSendmail(t testing.TB, path string) {
	old := findSendmail
	findSendmail = func() string { return path }
	t.Cleanup(func() { findSendmail = old })
}
