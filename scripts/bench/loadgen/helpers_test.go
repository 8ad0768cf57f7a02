package loadgen

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"chatlab/shared/bintest"
	"chatlab/shared/certs"
)

// Helpers of the tests: the servers they drive are the stages' own
// binaries, built once per test process, each run in a process of its
// own on 127.0.0.1, as `make bench` runs them.

// testTimeout bounds a test's whole conversation with its server.
const testTimeout = time.Minute

// serverPackages are the packages of the binaries the tests build, from
// this folder.
var serverPackages = map[string]string{
	"v1":     "../../../v1/cmd/server",
	"v3":     "../../../v3/cmd/server",
	"v4":     "../../../v4/cmd/server",
	"task4":  "../../../classchat/task4/cmd/server",
	"bonus1": "../../../classchat/bonus1/cmd/server",
}

// binDir returns a folder holding the servers of the stages named, each
// under its make name (server-v3 ...). They are built once per test
// process, all at the first call, side by side.
func binDir(t *testing.T, stages ...string) string {
	t.Helper()
	buildOnce.Do(func() { built, buildErr = buildServers() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	dir := t.TempDir()
	for _, name := range stages {
		if err := os.Symlink(filepath.Join(built, "server-"+name), filepath.Join(dir, "server-"+name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// buildServers builds every server of serverPackages into a new folder,
// with -race if the tests have it.
func buildServers() (string, error) {
	dir, err := os.MkdirTemp("", "chatlab-bench-bin-")
	if err != nil {
		return "", err
	}
	errs := make(chan error, len(serverPackages))
	for name, pkg := range serverPackages {
		go func() {
			args := []string{"build", "-o", filepath.Join(dir, "server-"+name)}
			if bintest.RaceEnabled() {
				args = append(args, "-race")
			}
			out, err := exec.Command("go", append(args, pkg)...).CombinedOutput()
			if err != nil {
				err = fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
			}
			errs <- err
		}()
	}
	for range serverPackages {
		if e := <-errs; e != nil {
			err = e
		}
	}
	return dir, err
}

// startStage starts the stage's server and returns it and how to reach
// it; it is stopped at cleanup.
func startStage(t *testing.T, name string) (*Server, *target) {
	t.Helper()
	sts, err := LookupStages(name)
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	scratch := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	dir := t.TempDir()
	if _, ok := serverPackages[name]; ok {
		dir = binDir(t, name)
	}
	srv, err := StartServer(ctx, st, dir, scratch)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	tg := &target{stage: st, addr: srv.Addr}
	if st.TLS {
		if tg.tls, err = certs.ClientTLS("127.0.0.1", filepath.Join(scratch, "server.crt"), false); err != nil {
			t.Fatal(err)
		}
	}
	return srv, tg
}

// smallRoom is a fan-out run small and short enough for a unit test.
func smallRoom() FanOut {
	return FanOut{Members: 6, Publishers: 2, Window: 8, TextBytes: 40,
		Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}
