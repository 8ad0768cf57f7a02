//go:build !unix

package server

import "os"

// memorySignals: no signal asks for the memory line where there is no
// SIGUSR1.
var memorySignals []os.Signal
