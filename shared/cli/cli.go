// Package cli holds what every ChatLab binary's main does the same way:
// flags mixed with positional arguments, --help on standard output, usage
// errors with exit status 2, and port and address arguments checked.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Exit statuses shared by every binary.
const (
	ExitOK    = 0
	ExitError = 1 // a run-time failure
	ExitUsage = 2 // bad arguments
)

// Command describes a binary for its --help text.
type Command struct {
	Name    string   // e.g. "server-v1"
	Args    string   // e.g. "[port]"
	Summary string   // one line on what it does
	Details []string // further paragraphs, printed after the flags
	MinArgs int      // positional arguments required
	MaxArgs int      // positional arguments allowed
	FlagSet *flag.FlagSet
	// Hidden names flags that work but --help does not list (internal
	// ones, such as the profiler's a tool passes).
	Hidden   []string
	Stdout   io.Writer // nil: os.Stdout
	Stderr   io.Writer // nil: os.Stderr
	ExitFunc func(int) // nil: os.Exit
}

// NewCommand returns a Command with an empty flag set.
func NewCommand(name, args, summary string, minArgs, maxArgs int) *Command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &Command{Name: name, Args: args, Summary: summary, MinArgs: minArgs, MaxArgs: maxArgs, FlagSet: fs}
}

// Usage writes the --help text to w.
func (c *Command) Usage(w io.Writer) {
	shown := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	hasFlags := false
	c.FlagSet.VisitAll(func(f *flag.Flag) {
		if !slices.Contains(c.Hidden, f.Name) {
			shown.Var(f.Value, f.Name, f.Usage)
			shown.Lookup(f.Name).DefValue = f.DefValue
			hasFlags = true
		}
	})
	usage := c.Name
	if hasFlags { // the usage line promises flags only if there are some
		usage += " [flags]"
	}
	if c.Args != "" {
		usage += " " + c.Args
	}
	fmt.Fprintf(w, "%s\n\nUsage:\n  %s\n", c.Summary, usage)
	if hasFlags {
		fmt.Fprintf(w, "\nFlags:\n")
		shown.SetOutput(w)
		shown.PrintDefaults()
	}
	for _, d := range c.Details {
		fmt.Fprintf(w, "\n%s\n", d)
	}
}

// Parse parses args (without the program name), flags anywhere among the
// positional arguments, and returns the positional ones. On -h or --help it
// prints the usage to standard output and exits 0; on a usage error it
// prints the error and a hint to standard error and exits 2.
func (c *Command) Parse(args []string) []string {
	pos, err := c.parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.Usage(c.stdout())
		c.exit(ExitOK)
	case err != nil:
		fmt.Fprintf(c.stderr(), "%s: %v\nRun '%s --help' for usage.\n", c.Name, err, c.Name)
		c.exit(ExitUsage)
	}
	return pos
}

func (c *Command) parse(args []string) ([]string, error) {
	var pos, tail []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, tail = args[:i], args[i+1:]
	}
	for {
		if err := c.FlagSet.Parse(args); err != nil {
			return nil, err
		}
		args = c.FlagSet.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	pos = append(pos, tail...)
	if len(pos) < c.MinArgs {
		return nil, fmt.Errorf("missing arguments: expected %s", c.Args)
	}
	if len(pos) > c.MaxArgs {
		return nil, fmt.Errorf("too many arguments: %s", strings.Join(pos[c.MaxArgs:], " "))
	}
	return pos, nil
}

func (c *Command) stdout() io.Writer {
	if c.Stdout != nil {
		return c.Stdout
	}
	return os.Stdout
}

func (c *Command) stderr() io.Writer {
	if c.Stderr != nil {
		return c.Stderr
	}
	return os.Stderr
}

func (c *Command) exit(code int) {
	if c.ExitFunc != nil {
		c.ExitFunc(code)
		return
	}
	os.Exit(code)
}

// Fatal prints "name: err" to standard error and exits with status code.
func (c *Command) Fatal(code int, err error) {
	fmt.Fprintf(c.stderr(), "%s: %v\n", c.Name, err)
	c.exit(code)
}

// Port parses the port a server listens on, 0 to 65535; 0 asks the system
// for any free port (the server prints the one it got).
func Port(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 0 to 65535 (0: any free port)", s)
	}
	return n, nil
}

// DialPort parses the port a client connects to: 1 to 65535 (nothing
// listens on port 0).
func DialPort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", s)
	}
	return n, nil
}
