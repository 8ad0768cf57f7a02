//go:build !unix

package term

import "os"

// supported reports whether Console can drive terminals on this platform:
// elsewhere liner draws with the console API, not escape sequences.
const supported = false

func notifyResize(chan<- os.Signal) {}

func redrawPrompt() {}
