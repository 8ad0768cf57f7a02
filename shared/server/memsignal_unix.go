//go:build unix

package server

import (
	"os"
	"syscall"
)

// memorySignals ask a running server for its memory line.
var memorySignals = []os.Signal{syscall.SIGUSR1}
