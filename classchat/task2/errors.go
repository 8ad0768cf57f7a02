package task2

import "errors"

var (
	// ErrConnectTimeout is returned when the server does not accept the
	// connection within ConnectTimeout.
	ErrConnectTimeout = errors.New("connection timed out")
	// ErrNoInput is returned when Chat is given no input file.
	ErrNoInput = errors.New("no input to read lines from")
	// ErrNoPoll is returned on systems without poll(2).
	ErrNoPoll = errors.New("this client needs poll(2), which this system does not have")
)
