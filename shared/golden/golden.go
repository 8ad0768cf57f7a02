// Package golden compares test output with files kept in the repository,
// and rewrites them when the tests run with -update:
//
//	go test ./... -run TestGolden -update
//
// A golden file records, and lets a reviewer see, exactly what the code
// produces: the bytes of every message, the tables in the documents.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Update makes Check and CheckSection write what they are given.
var Update = flag.Bool("update", false, "rewrite golden files and generated document sections")

// Check compares got with the file at path (or writes it, with -update).
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s is out of date; run the test with -update and review the diff.\n--- file\n%s\n--- now\n%s", path, want, got)
	}
}

// CheckSection compares got with the part of the document at path that
// stands between the line begin and the line end (or rewrites that part,
// with -update). The markers stay in the document.
func CheckSection(t testing.TB, path, begin, end, got string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	before, rest, ok := strings.Cut(doc, begin+"\n")
	if !ok {
		t.Fatalf("%s has no line %q", path, begin)
	}
	current, after, ok := strings.Cut(rest, end+"\n")
	if !ok {
		t.Fatalf("%s has no line %q after %q", path, end, begin)
	}
	if *Update {
		if err := os.WriteFile(path, []byte(before+begin+"\n"+got+end+"\n"+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if current != got {
		t.Errorf("the section of %s between %q and %q is out of date; run the test with -update and review the diff.\n--- document\n%s\n--- now\n%s",
			path, begin, end, current, got)
	}
}
