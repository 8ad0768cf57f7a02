package app_test

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/shared/chattest"
	"chatlab/shared/tmuxtest"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds cmd/server and cmd/client once for all tests, with
// -race if the tests have it.
func binaries(t *testing.T) (server, client string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "chatlab-v1-bin")
		if buildErr != nil {
			return
		}
		args := []string{"build", "-o", binDir + "/"}
		if tmuxtest.RaceEnabled() {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, "../cmd/server", "../cmd/client")...).CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, string(out)}
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(binDir, "server"), filepath.Join(binDir, "client")
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

type runningServer struct {
	cmd   *exec.Cmd
	port  string
	lines chan string
}

// startServer runs the server binary on a free port and checks the
// spec's two start-up lines, to the byte.
func startServer(t *testing.T, args ...string) *runningServer {
	server, _ := binaries(t)
	cmd := exec.Command(server, append(args, "0")...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	first, second := nextLine(t, lines), nextLine(t, lines)
	m := regexp.MustCompile(`^\[INFO\] Server started on 0\.0\.0\.0:(\d+)$`).FindStringSubmatch(first)
	require.NotNil(t, m, "first line %q", first)
	require.Equal(t, "[INFO] Waiting for connections...", second)
	return &runningServer{cmd: cmd, port: m[1], lines: lines}
}

func nextLine(t *testing.T, lines <-chan string) string {
	t.Helper()
	select {
	case l, ok := <-lines:
		require.True(t, ok, "the server's output ended")
		return l
	case <-time.After(chattest.Timeout):
		t.Fatal("no line from the server in time")
		return ""
	}
}

func (s *runningServer) addr() string { return "127.0.0.1:" + s.port }

func TestServerStartsChatsAndStopsOnSIGTERM(t *testing.T) {
	srv := startServer(t)
	alice := chattest.Dial(t, srv.addr(), wiretest.Codec(jsonwire.Codec{}))
	alice.Send(proto.Message{Kind: proto.KindLogin, Username: "alice"})
	require.Equal(t, proto.KindLoginAck, alice.Next().Kind)

	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, []proto.Message{{Kind: proto.KindSystemMsg, Text: proto.ShutdownMessage}}, alice.ExpectClosed())
	done := make(chan error, 1)
	go func() { done <- srv.cmd.Wait() }()
	select {
	case err := <-done:
		assert.NoError(t, err, "exit status 0 after SIGTERM")
	case <-time.After(chattest.Timeout):
		t.Fatal("the server did not exit")
	}
}

// The pipe form of the client works in scripts and exits 0 at the end of
// its input, having sent everything.
func TestClientInAPipe(t *testing.T) {
	srv := startServer(t)
	_, client := binaries(t)
	bob := chattest.Dial(t, srv.addr(), wiretest.Codec(jsonwire.Codec{}))
	bob.Send(proto.Message{Kind: proto.KindLogin, Username: "bob"})
	require.Equal(t, proto.KindLoginAck, bob.Next().Kind)

	cmd := exec.Command(client, "alice", "127.0.0.1", srv.port)
	cmd.Stdin = strings.NewReader("hi\n/msg bob psst\n/quit\nnot sent\n")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "output:\n%s", out)
	assert.Regexp(t, `(?m)^\[\d\d:\d\d:\d\d\] \*\*\* logged in as alice, in room general\. Type /help for commands\.$`, string(out))
	assert.Regexp(t, `(?m)^\[\d\d:\d\d:\d\d\] \[general\] alice: hi  \(to 1 user\)$`, string(out))
	assert.Regexp(t, `(?m)^\[\d\d:\d\d:\d\d\] \[PM to bob\] psst$`, string(out))
	assert.NotContains(t, string(out), "\x1b[", "no colour codes when not on a terminal")

	bob.Expect("alice's arrival", wiretest.System("alice joined general"))
	assert.Equal(t, proto.Message{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: "hi"}, bob.Next())
	assert.Equal(t, proto.Message{Kind: proto.KindPrivateMsg, From: "alice", Text: "psst"}, bob.Next())
	assert.Equal(t, proto.Message{Kind: proto.KindSystemMsg, Text: "alice left general"}, bob.Next(), "nothing after /quit")
}

func TestExitStatuses(t *testing.T) {
	srv := startServer(t)
	server, client := binaries(t)
	taken := chattest.Dial(t, srv.addr(), wiretest.Codec(jsonwire.Codec{}))
	taken.Send(proto.Message{Kind: proto.KindLogin, Username: "alice"})
	require.Equal(t, proto.KindLoginAck, taken.Next().Kind)

	// A port nobody listens on: take a free one and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedPort := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()

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
		{"client with a bad port", client, []string{"alice", "127.0.0.1", "99999"}, 2, `port "99999" is not a number from 0 to 65535`},
		{"server with a bad port", server, []string{"http"}, 2, `port "http" is not a number`},
		{"server on a port in use", server, []string{srv.port}, 1, "already in use"},
		{"client refused", client, []string{"ALICE", "127.0.0.1", srv.port}, 3, "name_taken"},
		{"client, nobody listening", client, []string{"carol", "127.0.0.1", closedPort}, 1, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(tt.bin, tt.args...)
			cmd.Stdin = strings.NewReader("")
			out, err := cmd.CombinedOutput()
			status := 0
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.status, status, "output:\n%s", out)
			assert.Contains(t, string(out), tt.output)
		})
	}
}
