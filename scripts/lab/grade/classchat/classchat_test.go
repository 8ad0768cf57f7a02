package classchat

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/lab/grade"
	"chatlab/lab/internal/labtest"
	"chatlab/lab/rubric"
)

func TestMain(m *testing.M) {
	labtest.WaitBound(16)
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// checkTimeout bounds one check in the tests.
const checkTimeout = 60 * time.Second

// binaries are the stages' own programs, as `make build` names them, and
// the programs the tests grade besides.
var binaries = map[string]string{
	"server-task1":  "classchat/task1/cmd/server",
	"client-task2":  "classchat/task2/cmd/client",
	"server-task3":  "classchat/task3/cmd/server",
	"server-task4":  "classchat/task4/cmd/server",
	"server-bonus1": "classchat/bonus1/cmd/server",
	"server-bonus2": "classchat/bonus2/cmd/server",
	"server-bonus3": "classchat/bonus3/cmd/server",
	"fakeclient":    "scripts/lab/grade/classchat/testdata/fakeclient",
}

var (
	buildMu  sync.Mutex
	buildDir string // one per test process, removed at the end
	builds   = map[string]error{}
)

// binDir builds the programs (once per test process) and returns the
// folder where they have the names `make build` gives them. They are built
// without -race, unlike a stage's own tests' (chatlab/shared/bintest): here
// they are what is graded, and megabyte files through a server built with
// -race would take most of a minute.
func binDir(t *testing.T) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir == "" {
		d, err := os.MkdirTemp("", "classchat-grade-bin")
		require.NoError(t, err)
		buildDir = d
	}
	if len(builds) == 0 {
		// Side by side: linking is most of the time, and one link does
		// not use both cores.
		var wg sync.WaitGroup
		errs := make(chan [2]any, len(binaries))
		for name, pkg := range binaries {
			wg.Go(func() {
				out, err := exec.Command("go", "build", "-o", filepath.Join(buildDir, name),
					filepath.Join("..", "..", "..", "..", pkg)).CombinedOutput()
				if err != nil {
					err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				}
				errs <- [2]any{name, err}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			err, _ := e[1].(error)
			builds[e[0].(string)] = err
		}
	}
	for name := range binaries {
		require.NoError(t, builds[name])
	}
	return buildDir
}

// bin returns the path of one of the programs.
func bin(t *testing.T, name string) string { return filepath.Join(binDir(t), name) }

// gradeStage grades one stage and returns its report, by check name.
func gradeStage(t *testing.T, name string, opts grade.Options) (rubric.Report, map[string]rubric.Result) {
	t.Helper()
	st, err := Stages.Lookup(name)
	require.NoError(t, err)
	if opts.Timeout == 0 {
		opts.Timeout = checkTimeout
	}
	rep, err := grade.Grade(st, opts)
	require.NoError(t, err)
	byName := map[string]rubric.Result{}
	for _, res := range rep.Results {
		byName[res.Check.Name] = res
	}
	if testing.Verbose() {
		var b strings.Builder
		rubric.WriteTable(&b, rep)
		for _, res := range rep.Results {
			fmt.Fprintf(&b, "%2d. %v\n", res.N, res.Elapsed.Round(time.Millisecond))
		}
		t.Logf("\n%s", b.String())
	}
	return rep, byName
}

// Test: the rubrics carry the course report's weights.
func TestWeights(t *testing.T) {
	want := map[string]int{"task1": 30, "task2": 20, "task3": 20, "task4": 30, "bonus1": 10, "bonus2": 10, "bonus3": 10}
	require.Len(t, Stages, len(want))
	for _, st := range Stages {
		r := st.Build(grade.Env{Logf: t.Logf})
		assert.Equal(t, want[st.Name], r.Max(), st.Name)
		names := map[string]bool{}
		for _, c := range r.Checks {
			assert.False(t, names[c.Name], "%s: two checks named %q", st.Name, c.Name)
			names[c.Name] = true
			assert.Positive(t, c.Points, "%s: %s", st.Name, c.Name)
		}
	}
}

// Test: every stage's own server (task 2: its own client) passes every
// check of its rubric, graded as `make grade` grades it.
func TestOwnStagesPassEveryCheck(t *testing.T) {
	t.Parallel()
	dir := binDir(t)
	for _, st := range Stages {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			rep, _ := gradeStage(t, st.Name, grade.Options{Bin: dir})
			for _, res := range rep.Results {
				assert.Equal(t, rubric.Pass, res.Status, "%d. %s: %s", res.N, res.Check.Name, res.Reason)
			}
		})
	}
}

// Test: the grader sees what waits unread on a client's socket (task 2's
// check of lines in pieces sends a piece once the last one was read).
func TestReceiveQueue(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp here: the check does its best without it")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer client.Close()
	server, err := l.Accept()
	require.NoError(t, err)
	defer server.Close()
	local, remote := client.LocalAddr().(*net.TCPAddr).Port, server.LocalAddr().(*net.TCPAddr).Port

	_, err = server.Write([]byte("hel"))
	require.NoError(t, err)
	queued := func() int {
		n, known := receiveQueue(local, remote)
		require.True(t, known)
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for queued() != 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // the bytes are on their way through the loopback
	}
	assert.Equal(t, 3, queued())
	_, err = io.ReadFull(client, make([]byte, 3))
	require.NoError(t, err)
	assert.Equal(t, 0, queued())
}
