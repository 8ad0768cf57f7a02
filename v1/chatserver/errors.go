package chatserver

import "errors"

// Reasons a session ends, as the disconnect log line gives them.
var (
	errLoginTimeout = errors.New("no log-in within the time limit")
	errRejected     = errors.New("log-in rejected")
	errClosedByPeer = errors.New("closed by the client")
	errShutdown     = errors.New("server shutting down")
)
