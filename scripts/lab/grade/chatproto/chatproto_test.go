package chatproto

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/proto"
	"chatlab/lab/grade"
	"chatlab/lab/internal/labtest"
	"chatlab/lab/rubric"
	"chatlab/lab/target"
	"chatlab/shared/bintest"
	"chatlab/shared/certs"
)

func TestMain(m *testing.M) {
	labtest.WaitBound(16)
	bintest.Main(m)
}

// The stages' server and client packages, by stage name.
var (
	serverPkgs = map[string]string{
		"v1": "../../../../v1/cmd/server", "v2": "../../../../v2/cmd/server", "v2-tls": "../../../../v2/cmd/server-tls",
		"v3": "../../../../v3/cmd/server", "v4": "../../../../v4/cmd/server",
		"task4": "../../../../classchat/task4/cmd/server",
	}
	clientPkgs = map[string]string{
		"v1": "../../../../v1/cmd/client", "v2": "../../../../v2/cmd/client", "v2-tls": "../../../../v2/cmd/client-tls",
		"v3": "../../../../v3/cmd/client", "v4": "../../../../v4/cmd/client",
	}
)

// programs builds every server and client the tests run, all at once
// (once per test process), and returns the servers' binaries and the
// clients' command lines for the grader, by stage name.
func programs(t *testing.T) (servers map[string]string, clients map[string][]string) {
	var pkgs, names []string
	for name, pkg := range serverPkgs {
		pkgs, names = append(pkgs, pkg), append(names, "server "+name)
	}
	for name, pkg := range clientPkgs {
		pkgs, names = append(pkgs, pkg), append(names, "client "+name)
	}
	bins := bintest.Build(t, pkgs...)
	servers, clients = map[string]string{}, map[string][]string{}
	for i, name := range names {
		kind, stage, _ := strings.Cut(name, " ")
		if kind == "server" {
			servers[stage] = bins[i]
			continue
		}
		st, err := Stages.Lookup(stage)
		require.NoError(t, err)
		clients[stage] = append([]string{bins[i]}, st.Client[1:]...)
	}
	return servers, clients
}

// servers returns every server's binary, by stage name.
func servers(t *testing.T) map[string]string {
	s, _ := programs(t)
	return s
}

// clients returns every client's command line for the grader, by stage
// name.
func clients(t *testing.T) map[string][]string {
	_, c := programs(t)
	return c
}

func gradeWith(t *testing.T, stage, server string, client []string) rubric.Report {
	t.Helper()
	st, err := Stages.Lookup(stage)
	require.NoError(t, err)
	rep, err := grade.Grade(st, grade.Options{Server: []string{server}, Client: client, Logf: t.Logf})
	require.NoError(t, err)
	return rep
}

// failing lists the numbers of the checks that failed.
func failing(rep rubric.Report) []int {
	var n []int
	for _, r := range rep.Results {
		if r.Status == rubric.Fail {
			n = append(n, r.N)
		}
	}
	return n
}

// number returns the number of the check whose name contains s.
func number(t *testing.T, r rubric.Rubric, s string) int {
	t.Helper()
	for i, c := range r.Checks {
		if strings.Contains(c.Name, s) {
			return i + 1
		}
	}
	t.Fatalf("no check %q in %s", s, r.Stage)
	return 0
}

func TestRubricsAreOutOf100(t *testing.T) {
	for _, st := range Stages {
		r := st.Build(grade.Env{})
		assert.Equal(t, Total, r.Max(), st.Name)
		for _, c := range r.Checks {
			assert.Positive(t, c.Points, "%s: %s", st.Name, c.Name)
			assert.NotEmpty(t, c.Rule, "%s: %s", st.Name, c.Name)
		}
	}
}

// Test: every stage's own server earns every point of its rubric.
func TestOwnServersPassEveryCheck(t *testing.T) {
	t.Parallel()
	bins, cmds := programs(t)
	for _, st := range Stages {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			rep := gradeWith(t, st.Name, bins[st.Name], cmds[st.Name])
			for _, r := range rep.Results {
				assert.Equal(t, rubric.Pass, r.Status, "%d. %s: %s", r.N, r.Check.Name, r.Reason)
			}
			earned, _, total := rep.Score()
			assert.Equal(t, total, earned)
			assert.Empty(t, rep.Mismatch, "the probe takes the stage's own server for what it is")
		})
	}
}

// Test: the binary rubric against a JSON server fails every check that
// needs the encoding, and only those; and the other way round.
func TestWrongStageFailsTheEncodingChecks(t *testing.T) {
	t.Parallel()
	bins := servers(t)
	for _, tc := range []struct{ rubric, server, says string }{
		{"v3", "v1", "speaks JSON lines (ChatProto v1/v2), not ChatProto v1.0 binary frames"},
		{"v2", "v3", "speaks ChatProto v1.0 binary frames, not JSON lines (ChatProto v1/v2)"},
	} {
		t.Run(tc.rubric+" against "+tc.server, func(t *testing.T) {
			t.Parallel()
			rep := gradeWith(t, tc.rubric, bins[tc.server], nil)
			r := rep.Results
			// What does not depend on the encoding still passes: the
			// start-up lines and the log-in time-out. (No client was
			// given, and the grader's own client is not used: its checks
			// are not graded.)
			var passed []string
			for _, res := range r {
				if res.Status == rubric.NotGraded {
					assert.Contains(t, res.Check.Name, "client", "only client checks go ungraded")
					continue
				}
				if res.Status == rubric.Pass {
					passed = append(passed, res.Check.Name)
				} else {
					assert.NotEmpty(t, res.Reason, res.Check.Name)
				}
			}
			assert.ElementsMatch(t, []string{
				"the server prints its two start-up lines",
				"a connection that does not log in is closed after 10 seconds",
			}, passed)
			// The protocol is named once, at the top, and the failures
			// that follow from it are listed together.
			assert.Contains(t, rep.Mismatch, tc.says)
			var b strings.Builder
			rubric.WriteTable(&b, rep)
			out := b.String()
			assert.Equal(t, 1, strings.Count(out, tc.says), out)
			assert.Less(t, strings.Index(out, tc.says), strings.Index(out, "points  result"), out)
			assert.Regexp(t, `\n\d+ failures \([0-9–, ]+\) follow from that; the first, #\d+, says:\n`, out)
			assert.Equal(t, 1, strings.Count(out, r[failing(rep)[0]-1].Reason), "one reason shown, not %d: %s", len(failing(rep)), out)
		})
	}
}

// startServer starts a stage's server binary for a test, with a
// certificate if it speaks TLS, and returns its address.
func startServer(t *testing.T, bin string, useTLS bool) string {
	t.Helper()
	spec := target.Spec{Argv: []string{bin}}
	if useTLS {
		dir := t.TempDir()
		cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
		require.NoError(t, certs.Generate(cert, key, certs.Validity))
		spec.Args = []string{cert, key}
	}
	proc, err := target.Start(spec)
	require.NoError(t, err)
	t.Cleanup(proc.Kill)
	return proc.Addr
}

// Test: before grading, the probe names what a server of another protocol
// speaks, in one line, and says nothing of a server of the rubric's own.
func TestProbeNamesTheProtocol(t *testing.T) {
	t.Parallel()
	bins := servers(t)
	tlsServer := map[string]bool{"v2-tls": true, "v4": true}
	for _, tc := range []struct{ rubric, server, says string }{
		{"v3", "v1", "speaks JSON lines (ChatProto v1/v2), not ChatProto v1.0 binary frames: the checks that need the binary encoding fail"},
		{"v2", "v3", "speaks ChatProto v1.0 binary frames, not JSON lines (ChatProto v1/v2): the checks that need the JSON encoding fail"},
		{"v2-tls", "v4", "speaks ChatProto v1.0 binary frames over TLS, not JSON lines (ChatProto v1/v2) over TLS"},
		{"v4", "v3", "speaks ChatProto v1.0 binary frames without TLS, not ChatProto v1.0 binary frames over TLS: the checks that need TLS fail"},
		{"v2-tls", "v1", "speaks JSON lines (ChatProto v1/v2) without TLS, not JSON lines (ChatProto v1/v2) over TLS"},
		{"v3", "v4", "speaks TLS, not ChatProto v1.0 binary frames in the clear"},
		{"v1", "v2-tls", "speaks TLS, not JSON lines (ChatProto v1/v2) in the clear"},
		{"v1", "task4", `speaks first (it sent "Enter your username: " before the client said anything), as a ClassChat server does`},
		{"v1", "v1", ""}, {"v2", "v2", ""}, {"v2-tls", "v2-tls", ""}, {"v3", "v3", ""}, {"v4", "v4", ""},
	} {
		t.Run(tc.rubric+" against "+tc.server, func(t *testing.T) {
			t.Parallel()
			st, err := Stages.Lookup(tc.rubric)
			require.NoError(t, err)
			addr := startServer(t, bins[tc.server], tlsServer[tc.server])
			got := st.Probe(grade.Env{Addr: addr, Logf: t.Logf})
			if tc.says == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, "the server at "+addr+" ")
			assert.Contains(t, got, tc.says)
			assert.NotContains(t, got, "\n")
		})
	}
}

// Test: a server that breaks one rule loses exactly the checks of that
// rule. The faults are injected by a relay in front of the real v3
// server, which rewrites the frames it sends.
func TestBrokenServerFailsTheRightChecks(t *testing.T) {
	t.Parallel()
	bin := servers(t)["v3"]
	st, err := Stages.Lookup("v3")
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		fault func(frame []byte) []byte // nil drops the frame
		fails []string
	}{
		{
			name: "no notices",
			fault: func(f []byte) []byte {
				if f[3] == byte(proto.KindSystemMsg) {
					return nil
				}
				return f
			},
			fails: []string{"joins and room switches are announced", "a disconnect is announced", "on shutdown everyone gets"},
		},
		{
			name:  "flags set",
			fault: func(f []byte) []byte { f[4] = 0x80; return f },
			fails: []string{"replies are byte-exact frames"},
		},
		{
			name: "acks count the sender",
			fault: func(f []byte) []byte {
				if f[3] == byte(proto.KindRoomMsgAck) {
					n := len(f)
					binary.BigEndian.PutUint32(f[n-4:], binary.BigEndian.Uint32(f[n-4:])+1)
				}
				return f
			},
			fails: []string{"the sender gets ROOM_MSG_ACK", "a user is in one room at a time", "replies are byte-exact frames"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			proc, err := target.Start(target.Spec{Argv: []string{bin}})
			require.NoError(t, err)
			t.Cleanup(proc.Kill)
			env := grade.Env{Addr: relay(t, proc.Addr, tc.fault), Server: proc, Logf: t.Logf}
			r := st.Build(env)
			var want []int
			for _, f := range tc.fails {
				want = append(want, number(t, r, f))
			}
			slices.Sort(want)
			rep := rubric.Run(r, "v3 behind a faulty relay", rubric.Options{})
			assert.Equal(t, want, failing(rep), "%s", reasons(rep))
		})
	}
}

func reasons(rep rubric.Report) string {
	var b strings.Builder
	for _, r := range rep.Results {
		if r.Status != rubric.Pass {
			fmt.Fprintf(&b, "\n%d. %s: %s", r.N, r.Check.Name, r.Reason)
		}
	}
	return b.String()
}

// relay listens on 127.0.0.1 and passes each connection on to addr,
// rewriting every frame the server sends with fault.
func relay(t *testing.T, addr string, fault func([]byte) []byte) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", addr)
			if err != nil {
				client.Close()
				continue
			}
			go func() {
				io.Copy(server, client)
				server.(*net.TCPConn).CloseWrite()
			}()
			go func() {
				defer client.Close()
				defer server.Close()
				head := make([]byte, 9)
				for {
					if _, err := io.ReadFull(server, head); err != nil {
						return
					}
					f := make([]byte, 9+binary.BigEndian.Uint32(head[5:]))
					copy(f, head)
					if _, err := io.ReadFull(server, f[9:]); err != nil {
						return
					}
					if f = fault(f); f != nil {
						if _, err := client.Write(f); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// Test: a client of another stage fails the client checks, and only
// those: the v1 (JSON) client driven against the v3 server.
func TestWrongClientFailsTheClientChecks(t *testing.T) {
	t.Parallel()
	rep := gradeWith(t, "v3", servers(t)["v3"], clients(t)["v1"])
	for _, r := range rep.Results {
		if strings.HasPrefix(r.Check.Name, "the client") || strings.Contains(r.Check.Name, "into the client") || strings.Contains(r.Check.Name, "client's") {
			assert.Equal(t, rubric.Fail, r.Status, "%d. %s", r.N, r.Check.Name)
			assert.Contains(t, r.Reason, "the client to log in", "%d. %s", r.N, r.Check.Name)
			continue
		}
		assert.Equal(t, rubric.Pass, r.Status, "%d. %s: %s", r.N, r.Check.Name, r.Reason)
	}
}
