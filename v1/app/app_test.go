package app_test

import (
	"bufio"
	"net"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/shared/bintest"
	"chatlab/shared/chattest"
	"chatlab/shared/server"
)

func TestMain(m *testing.M) { bintest.Main(m) }

// binaries builds cmd/server and cmd/client (once for all tests).
func binaries(t *testing.T) (server, client string) {
	bins := bintest.Build(t, "../cmd/server", "../cmd/client")
	return bins[0], bins[1]
}

// startServer runs the server binary on a free port; bintest checks the
// two start-up lines of docs/protocol.md §4 to the byte.
func startServer(t *testing.T) *bintest.Server {
	server, _ := binaries(t)
	return bintest.StartServer(t, server, "0")
}

func TestServerStartsChatsAndStopsOnSIGTERM(t *testing.T) {
	srv := startServer(t)
	// anon connects and never logs in; the server accepts in order, so
	// once alice is logged in anon has been accepted too.
	anon := chattest.Dial(t, srv.Addr(), wiretest.Codec(jsonwire.Codec{}))
	alice := chattest.Dial(t, srv.Addr(), wiretest.Codec(jsonwire.Codec{}))
	alice.Send(proto.Message{Kind: proto.KindLogin, Username: "alice"})
	require.Equal(t, proto.KindLoginAck, alice.Next().Kind)

	sent := time.Now()
	require.NoError(t, srv.Cmd.Process.Signal(syscall.SIGTERM))
	for _, c := range []*wiretest.Client{alice, anon} {
		assert.Equal(t, []proto.Message{{Kind: proto.KindSystemMsg, Text: proto.ShutdownMessage}}, c.ExpectClosed())
	}
	assert.NoError(t, srv.Wait(t), "exit status 0 after SIGTERM")
	assert.Less(t, time.Since(sent), server.DefaultShutdownGrace, "within the grace period")
}

// The pipe form of the client works in scripts and exits 0 at the end of
// its input, having sent everything.
func TestClientInAPipe(t *testing.T) {
	srv := startServer(t)
	_, client := binaries(t)
	bob := chattest.Dial(t, srv.Addr(), wiretest.Codec(jsonwire.Codec{}))
	bob.Send(proto.Message{Kind: proto.KindLogin, Username: "bob"})
	require.Equal(t, proto.KindLoginAck, bob.Next().Kind)

	out, status := bintest.Run(t, "hi\n/msg bob psst\n/quit\nnot sent\n", client, "alice", "127.0.0.1", srv.Port)
	require.Equal(t, 0, status, "output:\n%s", out)
	assert.Regexp(t, `(?m)^\[\d\d:\d\d:\d\d\] \*\*\* logged in as alice, in room general\. Type /help for commands\.$`, out)
	assert.Regexp(t, `(?m)^\[\d\d:\d\d:\d\d\] \[general\] alice: hi  \(to 1 user\)$`, out)
	assert.Regexp(t, `(?m)^\[\d\d:\d\d:\d\d\] \[PM to bob\] psst$`, out)
	assert.NotContains(t, out, "\x1b[", "no colour codes when not on a terminal")

	bob.Expect("alice's arrival", wiretest.System("alice joined general"))
	assert.Equal(t, proto.Message{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: "hi"}, bob.Next())
	assert.Equal(t, proto.Message{Kind: proto.KindPrivateMsg, From: "alice", Text: "psst"}, bob.Next())
	assert.Equal(t, proto.Message{Kind: proto.KindSystemMsg, Text: "alice left general"}, bob.Next(), "nothing after /quit")
}

func TestExitStatuses(t *testing.T) {
	srv := startServer(t)
	server, client := binaries(t)
	taken := chattest.Dial(t, srv.Addr(), wiretest.Codec(jsonwire.Codec{}))
	taken.Send(proto.Message{Kind: proto.KindLogin, Username: "alice"})
	require.Equal(t, proto.KindLoginAck, taken.Next().Kind)

	_, closedPort, _ := net.SplitHostPort(chattest.ClosedPort(t))

	tests := []struct {
		name   string
		bin    string
		args   []string
		status int
		output string
	}{
		{"client help", client, []string{"--help"}, 0, "Usage:\n  client-v1 [flags] <username> [host] [port]"},
		{"server help", server, []string{"-h"}, 0, "Usage:\n  server-v1 [flags] [port]"},
		{"client without a name", client, nil, 2, "missing arguments"},
		{"client with a bad port", client, []string{"alice", "127.0.0.1", "99999"}, 2, `port "99999" is not a number from 1 to 65535`},
		{"client with port 0", client, []string{"alice", "127.0.0.1", "0"}, 2, `port "0" is not a number from 1 to 65535`},
		{"server with a port too large", server, []string{"65536"}, 2, `port "65536" is not a number from 0 to 65535 (0: any free port)`},
		{"server with a bad port", server, []string{"http"}, 2, `port "http" is not a number`},
		{"server on a port in use", server, []string{srv.Port}, 1, "already in use"},
		{"server with a negative --notice-batch", server, []string{"--notice-batch", "-1", "0"}, 2, "--notice-batch must be 0"},
		{"server with --notice-interval 0", server, []string{"--notice-interval", "0", "0"}, 2, "--notice-interval must be more than 0"},
		{"client refused", client, []string{"ALICE", "127.0.0.1", srv.Port}, 3, "name_taken"},
		{"client, nobody listening", client, []string{"carol", "127.0.0.1", closedPort}, 1, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, status := bintest.Run(t, "", tt.bin, tt.args...)
			assert.Equal(t, tt.status, status, "output:\n%s", out)
			assert.Contains(t, out, tt.output)
		})
	}
}

// --host chooses the address; --trace shows the wire and not the debug
// lines; --help does not list the internal -cpuprofile.
func TestServerFlags(t *testing.T) {
	server, client := binaries(t)
	srv := bintest.StartMatching(t, regexp.MustCompile(`^\[INFO\] Server started on 127\.0\.0\.1:(\d+)$`),
		server, "--host", "127.0.0.1", "--trace", "0")
	out, status := bintest.Run(t, "hi\n", client, "alice", "127.0.0.1", srv.Port)
	require.Equal(t, 0, status, out)
	lines := srv.LinesUntil(t, func(l string) bool { return strings.Contains(l, "alice left") || strings.Contains(l, "disconnect") })
	log := strings.Join(lines, "\n")
	assert.Contains(t, log, "[TRACE] ← ")
	assert.Contains(t, log, "(0 recipients)")
	assert.NotContains(t, log, "[DEBUG]", "--trace is not -v")

	help, status := bintest.Run(t, "", server, "--help")
	require.Equal(t, 0, status)
	assert.Contains(t, help, "-host string")
	assert.Contains(t, help, "-notice-batch N")
	assert.Contains(t, help, "-notice-interval duration")
	assert.NotContains(t, help, "cpuprofile")
}

// --notice-batch and --notice-interval reach the server: with 1, a room
// of two announces its joins together, before the next room message.
func TestNoticeFlags(t *testing.T) {
	server, _ := binaries(t)
	srv := bintest.StartServer(t, server, "--notice-batch", "1", "--notice-interval", "1h", "0")
	login := func(name string) *wiretest.Client {
		c := chattest.Dial(t, srv.Addr(), wiretest.Codec(jsonwire.Codec{}))
		c.Send(proto.Message{Kind: proto.KindLogin, Username: name})
		require.Equal(t, proto.KindLoginAck, c.Next().Kind)
		return c
	}
	w := login("w")
	login("alice")
	login("bob")
	w.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "hi"})
	assert.Equal(t, proto.Message{Kind: proto.KindSystemMsg, Text: "alice and bob joined general"}, w.Next())
}

// A client that reads nothing cannot make a shutdown fail: it is told
// like the others, and when its full socket buffers keep the notice from
// it past the grace period, its connection is closed and the server
// still exits 0, saying so.
func TestSIGTERMWithAClientThatReadsNothing(t *testing.T) {
	bin, _ := binaries(t)
	srv := bintest.StartServer(t, bin, "--msg-rate", "0", "--byte-rate", "0", "0")
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	sloth, err := d.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer sloth.Close()
	_, err = sloth.Write([]byte(`{"type":"login","username":"sloth"}` + "\n"))
	require.NoError(t, err)
	sloth.SetReadDeadline(time.Now().Add(bintest.Timeout))
	ack, err := bufio.NewReader(sloth).ReadString('\n') // in general from now on; never read again
	require.NoError(t, err)
	require.Contains(t, ack, `"login_ack"`)

	alice, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer alice.Close()
	acks := make(chan struct{}, 1000)
	go func() { // alice reads her acknowledgements
		sc := bufio.NewScanner(alice)
		for sc.Scan() {
			if strings.Contains(sc.Text(), `"room_msg_ack"`) {
				acks <- struct{}{}
			}
		}
	}()
	_, err = alice.Write([]byte(`{"type":"login","username":"alice"}` + "\n"))
	require.NoError(t, err)
	// Enough for sloth's socket buffers, not for its 1 MiB queue: the
	// server is left with writes to sloth that cannot finish.
	line := []byte(`{"type":"room_msg","text":"` + strings.Repeat("z", 4000) + `"}` + "\n")
	const n = 750
	for range n {
		alice.SetWriteDeadline(time.Now().Add(bintest.Timeout))
		_, err := alice.Write(line)
		require.NoError(t, err)
	}

	for i := range n {
		select {
		case <-acks:
		case <-time.After(bintest.Timeout):
			t.Fatalf("%d of %d room messages acknowledged", i, n)
		}
	}

	sent := time.Now()
	require.NoError(t, srv.Cmd.Process.Signal(syscall.SIGTERM))
	lines := srv.LinesUntil(t, func(l string) bool { return strings.Contains(l, "server stopped") })
	assert.NoError(t, srv.Wait(t), "exit status 0 after SIGTERM")
	assert.Less(t, time.Since(sent), server.DefaultShutdownGrace+bintest.Timeout/2, "soon after the grace period")
	assert.True(t, slices.ContainsFunc(lines, func(l string) bool {
		return strings.Contains(l, "connections still open at the end of the grace period were closed")
	}), "the log says sloth was cut off at the end of the grace period:\n%s", strings.Join(lines, "\n"))
}
