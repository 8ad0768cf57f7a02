package loadgen

import (
	"io"
	"net"
	"time"
)

// calibrationWrites is how many writes calibrate times.
const calibrationWrites = 20000

// calibrate measures what one small write to a loopback TCP socket costs
// the writer, a read draining the other end: the system call every
// delivery costs the server. On a virtual machine it changes with the
// host's load, by a factor of two over minutes; the report gives it
// beside the figures so that runs can be compared. It returns 0 if it
// cannot measure.
func calibrate() time.Duration {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		io.Copy(io.Discard, c)
		c.Close()
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return 0
	}
	defer c.Close()
	msg := make([]byte, 64)
	start := time.Now()
	for range calibrationWrites {
		if _, err := c.Write(msg); err != nil {
			return 0
		}
	}
	return time.Since(start) / calibrationWrites
}
