package chatclient_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatclient"
	"chatlab/chat-v1/jsonwire"
)

// With Trace, every message is shown as it travels, in both directions.
func TestTrace(t *testing.T) {
	srv := startServer(t)
	out := newScreen()
	c := chatclient.New(chatclient.Config{
		Username: "alice", Codec: jsonwire.Codec{}, Now: clock, Trace: true,
		Dial: func(ctx context.Context) (net.Conn, error) { return net.Dial("tcp", srv.Addr) },
		In:   strings.NewReader("hi\n"), Out: out,
	})
	require.NoError(t, c.Run(t.Context()))
	assert.Equal(t, []string{
		`[12:01:05] → {"type":"login","username":"alice"}`,
		`[12:01:05] ← {"type":"login_ack","username":"alice","room":"general"}`,
		"[12:01:05] *** logged in as alice, in room general. Type /help for commands.",
		`[12:01:05] → {"type":"room_msg","text":"hi"}`,
		`[12:01:05] ← {"type":"room_msg_ack","room":"general","recipients":0}`,
		"[12:01:05] [general] alice: hi  (to 0 users)",
	}, out.snapshot())
}
