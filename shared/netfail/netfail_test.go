package netfail_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/shared/exitcode"
	"chatlab/shared/netfail"
)

// A port nothing listens on: one the kernel gave us, then closed.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestExplain(t *testing.T) {
	addr := closedPort(t)
	_, refused := net.DialTimeout("tcp", addr, 5*time.Second)
	require.Error(t, refused)

	// The server resets the connection: it closes with unread data and
	// SO_LINGER 0.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	s := <-accepted
	s.(*net.TCPConn).SetLinger(0)
	s.Close()
	_, reset := c.Read(make([]byte, 1))
	require.Error(t, reset)

	// An unknown host is staged: no name is looked up.
	unknown := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nosuch.example", IsNotFound: true}}

	tests := []struct {
		name   string
		err    error
		status int
		cause  string
		remedy string
	}{
		{"refused", refused, exitcode.Refused, "nothing is listening at " + addr, "start it with make server-task4"},
		{"unknown host", unknown, exitcode.HostNotFound, "the host nosuch.example was not found", "check its spelling"},
		{"reset", reset, exitcode.ConnectionLost, "was reset", "restart it"},
		{"closed", fmt.Errorf("the server closed the connection: %w", io.EOF), exitcode.ConnectionLost, "closed the connection", "start the client again"},
		{"timeout", &net.OpError{Op: "dial", Err: timeoutErr{}}, exitcode.ConnectTimeout, "did not answer in time", "check the host and port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := netfail.Explain(tt.err, map[bool]string{true: "nosuch.example:1", false: addr}[tt.name == "unknown host"], "make server-task4")
			require.True(t, ok, "%v", tt.err)
			assert.Equal(t, tt.status, p.Status)
			assert.Contains(t, p.Cause, tt.cause)
			assert.Contains(t, p.String(), "\n  next step: ")
			assert.Contains(t, p.Remedy, tt.remedy)
			assert.NotContains(t, p.String(), "dial tcp", "no raw Go error")
		})
	}
	_, ok := netfail.Explain(errors.New("something else"), addr, "")
	assert.False(t, ok)
	assert.True(t, netfail.IsClosing(reset))
	assert.True(t, netfail.IsClosing(net.ErrClosed))
	assert.False(t, netfail.IsClosing(refused))
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
