//go:build !unix

package task2

import (
	"io"
	"os"
)

// chat is the stand-in where there is no poll(2): the lesson is poll, so
// there is no fallback to a goroutine per direction (that is task 1).
func chat(string, *os.File, io.Writer) error { return ErrNoPoll }
