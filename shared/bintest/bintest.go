// Package bintest tests the built binaries of a stage: it compiles them
// once per test process (with -race when the tests have it), runs a server
// binary and checks the two start-up lines of docs/protocol.md §4, and runs a client with
// given input to see what it prints and how it exits.
package bintest

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
)

// Timeout bounds every wait: a build, a start-up line, an exit.
const Timeout = 60 * time.Second

var (
	mu     sync.Mutex
	dir    string
	builds = map[string]*build{}
)

// A program built with -race sleeps a second before it exits 0 (GORACE's
// atexit_sleep_ms), to let late race reports out. The binaries the tests
// run report races as they happen: they need not wait, and a test that
// runs dozens of them would wait dozens of seconds.
func init() {
	if g := os.Getenv("GORACE"); !strings.Contains(g, "atexit_sleep_ms") {
		os.Setenv("GORACE", strings.TrimSpace("atexit_sleep_ms=0 "+g))
	}
}

// Main runs the tests and then removes the binaries built for them; call
// it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if dir != "" {
		os.RemoveAll(dir)
	}
	mu.Unlock()
	os.Exit(code)
}

// Build compiles each package (a path as `go build` takes it, relative to
// the test's directory) once per test process and returns the binaries'
// paths, in order. A binary is named after its package's full path. The packages are built side by side, and a package that
// another test is building is waited for, not built again.
func Build(t testing.TB, pkgs ...string) []string {
	t.Helper()
	mu.Lock()
	if dir == "" {
		d, err := os.MkdirTemp("", "chatlab-bin")
		if err != nil {
			mu.Unlock()
			t.Fatalf("temporary directory: %v", err)
		}
		dir = d
	}
	// The packages not built yet are built side by side: linking is much
	// of a build, and one link leaves cores idle.
	paths := make([]string, len(pkgs))
	waits := make([]*build, len(pkgs))
	for i, pkg := range pkgs {
		abs, err := filepath.Abs(pkg)
		if err != nil {
			mu.Unlock()
			t.Fatalf("package %s: %v", pkg, err)
		}
		paths[i] = filepath.Join(dir, strings.ReplaceAll(strings.TrimPrefix(abs, "/"), "/", "_"))
		b, started := builds[abs]
		if !started {
			b = &build{done: make(chan struct{})}
			builds[abs] = b
			go b.run(pkg, paths[i])
		}
		waits[i] = b
	}
	mu.Unlock()
	for i, b := range waits {
		<-b.done
		if b.err != nil {
			t.Fatalf("go build %s: %v", pkgs[i], b.err)
		}
	}
	return paths
}

// build is one package's build, shared by every test that needs it.
type build struct {
	done chan struct{} // closed when it has ended
	err  error
}

func (b *build) run(pkg, out string) {
	defer close(b.done)
	args := []string{"build", "-o", out}
	if RaceEnabled() {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, pkg)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.err = errors.New(err.Error() + "\n" + string(out))
	}
}

// RaceEnabled reports whether the test binary was built with -race.
func RaceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// Server is a server binary running for a test.
type Server struct {
	Cmd    *exec.Cmd
	Port   string
	Before []string // what it printed before the start-up lines
	lines  chan string
	done   chan struct{}
	err    error
}

var startLine = regexp.MustCompile(`^\[INFO\] Server started on 0\.0\.0\.0:(\d+)$`)

// StartServer runs bin with args (which should ask for port 0), collects
// its standard output line by line, skips the lines before the first
// start-up line of docs/protocol.md §4, and checks both start-up lines to the byte. The
// process is killed at cleanup if it is still running.
func StartServer(t testing.TB, bin string, args ...string) *Server {
	t.Helper()
	s := StartMatching(t, startLine, bin, args...)
	if second := s.NextLine(t); second != "[INFO] Waiting for connections..." {
		t.Fatalf("second start-up line %q, want %q", second, "[INFO] Waiting for connections...")
	}
	return s
}

// StartMatching runs a server binary whose start-up line matches ready,
// whose first group is the port it listens on.
func StartMatching(t testing.TB, ready *regexp.Regexp, bin string, args ...string) *Server {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	s := &Server{Cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.done
	})
	for {
		line := s.NextLine(t)
		if m := ready.FindStringSubmatch(line); m != nil {
			s.Port = m[1]
			return s
		}
		s.Before = append(s.Before, line)
	}
}

// Addr is the server's address on 127.0.0.1.
func (s *Server) Addr() string { return "127.0.0.1:" + s.Port }

// NextLine returns the next line of the server's output.
func (s *Server) NextLine(t testing.TB) string {
	t.Helper()
	select {
	case l, ok := <-s.lines:
		if !ok {
			t.Fatal("the server's output ended")
		}
		return l
	case <-time.After(Timeout):
		t.Fatal("no line from the server in time")
		return ""
	}
}

// LinesUntil returns the server's output lines before the first one match accepts, failing if
// it does not come.
func (s *Server) LinesUntil(t testing.TB, match func(string) bool) []string {
	t.Helper()
	var seen []string
	for {
		l := s.NextLine(t)
		if match(l) {
			return seen
		}
		seen = append(seen, l)
	}
}

// Wait waits for the server to exit and returns its exit error.
func (s *Server) Wait(t testing.TB) error {
	t.Helper()
	select {
	case <-s.done:
		return s.err
	case <-time.After(Timeout):
		t.Fatal("the server did not exit")
		return nil
	}
}

// Run runs bin with args and input on its standard input, and returns
// what it printed (standard output and error together) and its exit
// status.
func Run(t testing.TB, input, bin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(input)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out.String(), ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("run %s: %v", bin, err)
		}
		return out.String(), 0
	case <-time.After(Timeout):
		cmd.Process.Kill()
		<-done // the output is complete, and no longer written to
		t.Fatalf("%s %v did not exit; output so far:\n%s", bin, args, out.String())
		return "", -1
	}
}
