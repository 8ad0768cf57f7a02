package task2

import (
	"errors"
	"fmt"
	"io"
	"os"
)

var (
	// ErrConnectTimeout is returned when the server does not accept the
	// connection within ConnectTimeout. It wraps os.ErrDeadlineExceeded.
	ErrConnectTimeout = fmt.Errorf("connection timed out: %w", os.ErrDeadlineExceeded)
	// ErrClosed is returned when the server closes the connection before
	// the user typed exit (task 3's server does so when it stops). It
	// wraps io.EOF.
	ErrClosed = fmt.Errorf("the server closed the connection: %w", io.EOF)
	// ErrNoInput is returned when Chat is given no input file.
	ErrNoInput = errors.New("no input to read lines from")
	// ErrNoPoll is returned on systems without poll(2).
	ErrNoPoll = errors.New("this client needs poll(2), which this system does not have")
)
