package loadgen

import "errors"

var (
	// ErrBadStream means the server sent something the dialect cannot
	// read on from.
	ErrBadStream = errors.New("unreadable stream from the server")
	// ErrRefused means the server refused a log-in or answered with an
	// error where the generator expected success.
	ErrRefused = errors.New("refused by the server")
	// ErrUnknownStage names a stage the generator does not know.
	ErrUnknownStage = errors.New("unknown stage")
	// ErrNoBinary means a server binary has not been built.
	ErrNoBinary = errors.New("no server binary")
	// ErrServerStart means a server did not start.
	ErrServerStart = errors.New("the server did not start")
	// ErrServerStop means a server did not stop when asked.
	ErrServerStop = errors.New("the server did not stop")
	// ErrConfig is a measurement that cannot be run as described.
	ErrConfig = errors.New("bad configuration")
	// ErrTimeout means something the generator waited for did not happen
	// in time.
	ErrTimeout = errors.New("timed out")
)
