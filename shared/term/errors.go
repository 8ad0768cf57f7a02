package term

import "errors"

var (
	// ErrNotTerminal is returned by Open when stdin or stdout is not a
	// terminal (redirected, piped, or a platform the console does not
	// support). Callers then use os.Stdin and os.Stdout directly.
	ErrNotTerminal = errors.New("stdin and stdout are not both terminals")

	// ErrInvalidPrompt is returned by Open when the prompt contains control
	// or format characters, which liner refuses to print.
	ErrInvalidPrompt = errors.New("prompt contains control characters")

	// ErrClosed is returned by Read and Write after Close.
	ErrClosed = errors.New("console closed")
)
