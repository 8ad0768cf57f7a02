//go:build ignore

// gotest runs `go test` in every module given, whether or not an earlier
// one failed, shows what go test shows without -v (the packages, and the
// output of the tests that failed), and ends with a summary: each module
// passed or FAILED with its time, the failing packages, and a last line
//
//	packages: N passed, N failed, N skipped
//
// where skipped counts the packages with no test files and those whose
// tests all skipped. It exits 1 if anything failed. `make test` and `make
// test-quick` run it:
//
//	go run scripts/gotest.go [-race] [-alloc] [-checks-failed 'vet …'] MODULE...
//
// -race runs the tests under the race detector; -alloc then runs the
// allocation tests (-run Allocate) again without it, where their counts
// mean something, in the packages that have such tests.
// -checks-failed names checks that failed before the tests (make's
// fmt-check, vet, …), so that the summary and the exit status include them.
// GO names the go command (default go).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// event is one line of `go test -json` (see go doc test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output, build-fail
	Test       string
	Output     string
	Elapsed    float64
}

// result is how one package ended.
type result int

const (
	passed  result = iota
	failed         // a test failed, or the package did not build
	skipped        // no test files, or every test skipped
	noTests        // nothing matched -run
)

// pkgState follows one package through the stream.
type pkgState struct {
	ran, skips int                 // tests that passed or failed; that skipped
	out        map[string][]string // output of each running top-level test, subtests included
}

// run is one `go test` over one module.
type run struct {
	module  string
	elapsed time.Duration
	results map[string]result // by package
	failed  bool              // go test exited non-zero
}

func main() {
	race := flag.Bool("race", false, "run the tests under the race detector")
	alloc := flag.Bool("alloc", false, "then run the allocation tests again without -race")
	checksFailed := flag.String("checks-failed", "", "checks that failed before the tests, space-separated")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run scripts/gotest.go [-race] [-alloc] [-checks-failed 'names'] MODULE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}

	var runs []run
	for _, m := range flag.Args() {
		args := []string{"test", "-json", "-count=1"}
		if *race {
			args = append(args, "-race")
		}
		fmt.Printf("== go test %s ./... in %s\n", strings.Join(args[2:], " "), m)
		runs = append(runs, goTest(goCmd, m, append(args, "./..."), true))
	}
	var allocRuns []run
	if *alloc {
		for _, m := range flag.Args() {
			pkgs := allocPackages(m)
			if len(pkgs) == 0 {
				continue
			}
			fmt.Printf("== go test -count=1 -run Allocate in %s (allocation counts, without -race)\n", m)
			allocRuns = append(allocRuns, goTest(goCmd, m, append([]string{"test", "-json", "-count=1", "-run", "Allocate"}, pkgs...), false))
		}
	}
	ok := summarize(runs, allocRuns, strings.Fields(*checksFailed))
	if !ok {
		os.Exit(1)
	}
}

// allocTest is the name of an allocation test, as -run Allocate picks it.
var allocTest = regexp.MustCompile(`(?m)^func Test\w*Allocate\w*\(`)

// allocPackages returns the packages of module (as ./dir) that have
// allocation tests: building the others' tests without -race only to run
// nothing would take longer than the tests.
func allocPackages(module string) []string {
	seen := map[string]bool{}
	filepath.WalkDir(module, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if b, err := os.ReadFile(path); err == nil && allocTest.Match(b) {
			rel, _ := filepath.Rel(module, filepath.Dir(path))
			seen["./"+filepath.ToSlash(rel)] = true
		}
		return nil
	})
	var pkgs []string
	for p := range seen {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	return pkgs
}

// goTest runs go with args in module and shows its output as go test does
// without -v; with showAll false, only the packages where tests ran.
func goTest(goCmd, module string, args []string, showAll bool) run {
	r := run{module: module, results: map[string]result{}}
	cmd := exec.Command(goCmd, args...)
	cmd.Dir = module
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		r.failed = true
		return r
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", module, err)
		r.failed = true
		return r
	}
	render(stdout, &r, showAll)
	if err := cmd.Wait(); err != nil {
		r.failed = true
	}
	r.elapsed = time.Since(start)
	return r
}

// render reads go test's JSON stream and prints each package's line, as
// go test does without -v, and all the output of each failed top-level
// test (with its subtests), as go test -v shows it.
func render(stream io.Reader, r *run, showAll bool) {
	pkgs := map[string]*pkgState{}
	state := func(p string) *pkgState {
		s := pkgs[p]
		if s == nil {
			s = &pkgState{out: map[string][]string{}}
			pkgs[p] = s
		}
		return s
	}
	// Package-level lines are held until the package ends, so that a
	// package where nothing ran can stay quiet.
	held := map[string][]string{}
	sc := bufio.NewScanner(stream)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Printf("%s\n", line) // not an event: pass it on
			continue
		}
		switch e.Action {
		case "build-output":
			fmt.Print(e.Output)
			continue
		case "build-fail", "start":
			continue
		}
		s := state(e.Package)
		top, _, _ := strings.Cut(e.Test, "/")
		switch {
		case e.Test != "" && e.Action == "output":
			s.out[top] = append(s.out[top], e.Output)
		case e.Test != "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
			if e.Action == "skip" {
				s.skips++
			} else {
				s.ran++
			}
			if e.Test == top {
				if e.Action == "fail" {
					fmt.Print(strings.Join(s.out[top], ""))
				}
				delete(s.out, top)
			}
		case e.Test == "" && e.Action == "output":
			if e.Output != "PASS\n" && !strings.HasPrefix(e.Output, "testing: warning: no tests to run") {
				held[e.Package] = append(held[e.Package], e.Output)
			}
		case e.Test == "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
			// Output of tests that never ended (a panic, a time-out).
			for _, out := range s.out {
				fmt.Print(strings.Join(out, ""))
			}
			res := passed
			switch {
			case e.Action == "fail":
				res = failed
			case e.Action == "skip":
				res = skipped
			case s.ran == 0 && s.skips > 0:
				res = skipped
			case s.ran == 0:
				res = noTests
			}
			r.results[e.Package] = res
			if showAll || res == failed || res == passed {
				for _, l := range held[e.Package] {
					fmt.Print(annotate(l, res))
				}
			}
			delete(held, e.Package)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "reading go test's output: %v\n", err)
		r.failed = true
	}
}

// annotate marks the package line of a package whose tests all skipped.
func annotate(line string, res result) string {
	if res == skipped && strings.HasPrefix(line, "ok ") {
		return strings.TrimSuffix(line, "\n") + " (every test skipped)\n"
	}
	return line
}

// summarize prints the summary and reports whether everything passed.
func summarize(runs, allocRuns []run, checksFailed []string) bool {
	final := map[string]result{}
	var w bytes.Buffer
	fmt.Fprintln(&w, "")
	fmt.Fprintln(&w, "== summary")
	ok := len(checksFailed) == 0
	if !ok {
		fmt.Fprintf(&w, "checks FAILED: %s\n", strings.Join(checksFailed, ", "))
	}
	for _, r := range runs {
		var bad []string
		for p, res := range r.results {
			final[p] = res
			if res == failed {
				bad = append(bad, p)
			}
		}
		sort.Strings(bad)
		status := "passed"
		if r.failed || len(bad) > 0 {
			status, ok = "FAILED", false
		}
		fmt.Fprintf(&w, "%-14s %-7s %6.1fs", r.module, status, r.elapsed.Seconds())
		if len(bad) > 0 {
			fmt.Fprintf(&w, "  failing: %s", strings.Join(bad, " "))
		} else if r.failed {
			fmt.Fprint(&w, "  (go test failed; see above)")
		}
		fmt.Fprintln(&w)
	}
	if allocRuns != nil {
		n := 0
		var bad []string
		broken := false
		for _, r := range allocRuns {
			broken = broken || r.failed
			for p, res := range r.results {
				switch res {
				case failed:
					bad = append(bad, p)
					final[p] = failed
					n++
				case passed:
					n++
				}
			}
		}
		sort.Strings(bad)
		fmt.Fprintf(&w, "allocation tests without -race: %d %s, %d failed", n, plural(n, "package"), len(bad))
		if len(bad) > 0 {
			fmt.Fprintf(&w, ": %s", strings.Join(bad, " "))
		}
		fmt.Fprintln(&w)
		if broken || len(bad) > 0 {
			ok = false
		}
	}
	var count [4]int
	for _, res := range final {
		count[res]++
	}
	count[skipped] += count[noTests]
	fmt.Fprintf(&w, "packages: %d passed, %d failed, %d skipped\n", count[passed], count[failed], count[skipped])
	os.Stdout.Write(w.Bytes())
	return ok
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}
