package classchat

import (
	"crypto/rand"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"chatlab/lab/grade"
	"chatlab/lab/rubric"
	"chatlab/shared/safetext"
)

// Timings of the checks.
var (
	// wait bounds the wait for one expected event: a line, an object, a
	// closed connection, a program's end.
	wait = 5 * time.Second
	// bigWait bounds the wait for one multi-megabyte message.
	bigWait = 25 * time.Second
)

// quoteMax is how much of a line or object a failure reason quotes.
const quoteMax = 160

// run is what the checks of one rubric share: unique names, so that
// checks never see each other's users, and no two runs against the same
// server (a student's, graded twice) collide.
type run struct {
	env grade.Env
	tag string // random, the same for the whole run
	n   atomic.Int64
}

func newRun(env grade.Env) *run {
	const letters = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 4)
	rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return &run{env: env, tag: string(b)}
}

// name returns a fresh user name: base (at most 8 characters), "_", the
// run's tag and a number. It is a valid name everywhere: at most 20
// characters, no spaces, '@' or '/'.
func (r *run) name(base string) string {
	return fmt.Sprintf("%s_%s%d", base, r.tag, r.n.Add(1))
}

// token returns a fresh word to put in a message, so that the check can
// tell its own message from any other.
func (r *run) token() string { return fmt.Sprintf("t%s%d", r.tag, r.n.Add(1)) }

// quote renders s for a failure reason: in backquotes, control and
// invisible characters escaped (a right-to-left override would reorder the
// report's line), cut at quoteMax characters.
func quote(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == quoteMax {
			fmt.Fprintf(&b, "… (%d bytes in all)", len(s))
			break
		}
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			fmt.Fprintf(&b, `\x%02x`, r)
		case safetext.Invisible(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		n++
	}
	return "`" + b.String() + "`"
}

// restart ends the server process (with SIGKILL, if it still runs, as a
// crash would) and starts it again on the same port, or ends c as not
// graded if the grader does not run it.
func restart(c *rubric.C, env grade.Env, why string) {
	p := env.NeedServer(c, why)
	if err := p.Restart(); err != nil {
		c.Fatalf("the server did not start again: %v", err)
	}
}

// deadline is now plus d, or the check's own deadline if that is sooner.
func deadline(c *rubric.C, d time.Duration) time.Time {
	t := time.Now().Add(d)
	if cd := c.Deadline(); !cd.IsZero() && cd.Before(t) {
		return cd
	}
	return t
}
