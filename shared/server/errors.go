package server

import "errors"

// ErrServerClosed is returned by Serve after Shutdown was called.
var ErrServerClosed = errors.New("server closed")
