package relay

import "errors"

// ErrClosed is returned by a wait on a relay that has been closed.
var ErrClosed = errors.New("relay closed")
