package freetime

// OnDerive makes f see every derivation of free days (the teachers and the
// local dates) until the returned function is called.
func OnDerive(f func(teachers, dates []string)) (restore func()) {
	onDerive = f
	return func() { onDerive = nil }
}
