//go:build unix

package term

import (
	"os"
	"os/signal"
	"syscall"
)

// supported reports whether Console can drive terminals on this platform.
const supported = true

// notifyResize relays SIGWINCH to ch.
func notifyResize(ch chan<- os.Signal) { signal.Notify(ch, syscall.SIGWINCH) }

// redrawPrompt makes liner redraw its line: liner redraws on SIGWINCH, and
// has no other way to be asked. See the package doc, "Resizing".
func redrawPrompt() { _ = syscall.Kill(os.Getpid(), syscall.SIGWINCH) }
