// Command demo exercises term.Console in a real terminal: it prints numbered
// messages from a goroutine while the user types, and echoes each typed line
// as "got: <line>". Ctrl-D or Ctrl-C ends it; it prints "bye" after Close.
// The tmux test in package term drives it.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"chatlab/shared/term"
)

func usage() {
	fmt.Fprintf(os.Stderr, "usage: demo [-n messages] [-every pause]\n")
	flag.PrintDefaults()
}

func main() {
	n := flag.Int("n", 20, "number of messages to print")
	every := flag.Duration("every", 100*time.Millisecond, "pause between messages")
	flag.Usage = usage
	flag.Parse()
	if flag.NArg() > 0 || *n < 0 || *every <= 0 {
		usage()
		os.Exit(2)
	}
	if err := run(*n, *every); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(n int, every time.Duration) error {
	c, err := term.Open(term.Options{Prompt: "> "})
	if err != nil {
		return err
	}
	defer fmt.Println("bye") // deferred first, so it runs after Close
	defer c.Close()

	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { messages(c, n, every, done) })
	defer wg.Wait()
	defer close(done)

	lines := bufio.NewScanner(c)
	for lines.Scan() {
		fmt.Fprintf(c, "got: %s\n", lines.Text())
	}
	if err := lines.Err(); err != nil && !errors.Is(err, term.ErrClosed) {
		return err
	}
	return nil
}

// messages writes "message 1" … "message n" to c, one per pause, until done.
func messages(c *term.Console, n int, every time.Duration, done <-chan struct{}) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for k := 1; k <= n; k++ {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		fmt.Fprintf(c, "message %d\n", k)
	}
}
