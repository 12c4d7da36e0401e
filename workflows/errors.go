package workflows

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound: no run with that id.
	ErrNotFound = errors.New("workflow run not found")
	// ErrNotRegistered: no definition with that name (and version).
	ErrNotRegistered = errors.New("workflow is not registered")
	// ErrNoEngine: the app was not wired with an engine (NewEngine).
	ErrNoEngine = errors.New("workflows: no engine registered on this app")
	// ErrSkip, returned by a trigger's mapping function, starts no run.
	ErrSkip = errors.New("workflows: skip this trigger")
	// errFenced: the run's lease is no longer ours (cancelled or taken
	// over); the checkpoint rolled back and the executor stops.
	errFenced = errors.New("workflows: lease lost")
)

// StateError says a control operation does not apply to the run's status
// (e.g. cancelling a completed run). Routes answer it with 400.
type StateError struct {
	Status Status
	Msg    string
}

func (e *StateError) Error() string { return e.Msg }

// InputError says a run's input is invalid; Err is the validation error
// (ozzo-validation's Errors when the input type validates itself), so
// routes can name the fields. No run exists when it is returned.
type InputError struct{ Err error }

func (e *InputError) Error() string { return "invalid workflow input: " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// permanentError marks an error no retry can fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as not retryable: the node fails at once and the
// run compensates and stops as failed. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// Permanentf is Permanent(fmt.Errorf(format, args...)).
func Permanentf(format string, args ...any) error {
	return Permanent(fmt.Errorf(format, args...))
}

// IsPermanent reports whether err (or an error it wraps) was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
