package term_test

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"chatlab/shared/term"
)

// A client core takes an io.Reader and an io.Writer; main picks the console
// when it runs in a terminal and plain stdin/stdout otherwise.
func ExampleOpen() {
	var in io.Reader = os.Stdin
	var out io.Writer = os.Stdout
	if term.IsTerminal() {
		c, err := term.Open(term.Options{Prompt: "general> "})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer c.Close()
		in, out = c, c
	}

	lines := bufio.NewScanner(in)
	for lines.Scan() {
		fmt.Fprintf(out, "you said: %s\n", lines.Text())
	}
}
