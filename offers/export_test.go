package offers

// SetTiming replaces the offers' pacing for one test; the returned func
// restores it. Tests that shorten it must not run in parallel.
func SetTiming(t Timing) (restore func()) {
	old := timing
	timing = t
	return func() { timing = old }
}
