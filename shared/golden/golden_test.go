package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; panic(r) }
func (r *recorder) Helper()               {}

func check(t *testing.T, f func(tb testing.TB)) (failed bool) {
	r := &recorder{TB: t}
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
		failed = r.failed
	}()
	f(r)
	return r.failed
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.txt")
	if !check(t, func(tb testing.TB) { Check(tb, path, []byte("x")) }) {
		t.Error("a missing file passed")
	}
	os.WriteFile(path, []byte("x"), 0o644)
	if check(t, func(tb testing.TB) { Check(tb, path, []byte("x")) }) {
		t.Error("an equal file failed")
	}
	if !check(t, func(tb testing.TB) { Check(tb, path, []byte("y")) }) {
		t.Error("a different file passed")
	}
}

func TestCheckSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc.md")
	os.WriteFile(path, []byte("intro\n<!-- b -->\nold\n<!-- e -->\noutro\n"), 0o644)
	if check(t, func(tb testing.TB) { CheckSection(tb, path, "<!-- b -->", "<!-- e -->", "old\n") }) {
		t.Error("an equal section failed")
	}
	if !check(t, func(tb testing.TB) { CheckSection(tb, path, "<!-- b -->", "<!-- e -->", "new\n") }) {
		t.Error("a different section passed")
	}
	*Update = true
	defer func() { *Update = false }()
	CheckSection(t, path, "<!-- b -->", "<!-- e -->", "new\n")
	b, _ := os.ReadFile(path)
	if string(b) != "intro\n<!-- b -->\nnew\n<!-- e -->\noutro\n" {
		t.Errorf("rewritten document: %q", b)
	}
}
