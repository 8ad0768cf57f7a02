package task4

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"chatlab/classchat/internal/cc"
	"chatlab/shared/cli"
	"chatlab/shared/exitcode"
	"chatlab/shared/netfail"
	"chatlab/shared/term"
)

// Statuses is the --help paragraph on the exit statuses of task 4's
// client and of those built on it: every ChatLab client's.
const Statuses = "Exit status: 0 after /quit, exit or the end of input; 3 name taken, 4 name invalid,\n" +
	"10 host not found, 11 connection refused, 12 connection timed out, 13 no log-in prompt,\n" +
	"14 connection closed or reset by the server, 15 not a ClassChat server of task 4 or later."

// ClientMain is the main of task 4's client and of the clients of the
// stages built on it: `NAME [--name user] [host] [port]`. hooks holds the
// stage's Command, Incoming, Describe and Help (none for task 4).
func ClientMain(name, summary, usage string, hooks ClientConfig) {
	ClientMainWith(name, summary, usage, hooks, nil)
}

// ClientMainWith is ClientMain for a client with flags of its own:
// register adds them, and returns what to do with the configuration once
// they are parsed (with the user's name, if given).
func ClientMainWith(name, summary, usage string, hooks ClientConfig, register func(*cli.Command) func(*ClientConfig)) {
	var user *string
	var finish func(*ClientConfig)
	addr, cmd := cc.ClientCommand(name, summary,
		func(c *cli.Command) {
			user = c.FlagSet.String("name", "", "your username (asked for if not given)")
			if register != nil {
				finish = register(c)
			}
		},
		usage, Statuses)
	start := strings.Replace(name, "client-", "make server-", 1)
	in, out, interactive, closeTerm, err := term.Stdio(term.Options{Prompt: "> "})
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	cfg := hooks
	cfg.Name, cfg.In, cfg.Out = *user, bufio.NewReader(in), out
	setPrompt := func(string) {}
	if interactive {
		cfg.SetPrompt = out.(interface{ SetPrompt(string) }).SetPrompt
		setPrompt = cfg.SetPrompt
	}
	for cfg.Name == "" {
		// The name is asked for before connecting: the server gives a
		// connection LoginTimeout to answer its prompt, the time to
		// send the name, not to type it.
		cfg.Name, err = askName(cfg.In.(*bufio.Reader), cc.NewDisplay(out), Prompt, setPrompt)
		if err != nil {
			closeTerm()
			return // the input ended: the session is over before it began
		}
	}
	conn, err := net.DialTimeout("tcp", addr, cc.ConnectTimeout)
	if err != nil {
		closeTerm()
		cc.Fail(cmd, err, addr, start)
	}
	if finish != nil {
		finish(&cfg)
	}
	ctx, stop := cc.SignalContext()
	defer stop()
	err = RunClient(ctx, conn, cfg)
	closeTerm()
	if err == nil || ctx.Err() != nil {
		return
	}
	if p, ok := explain(err, addr, start); ok {
		fmt.Fprintf(os.Stderr, "%s: %s\n", cmd.Name, p)
		os.Exit(p.Status)
	}
	cc.Fail(cmd, err, addr, start)
}

// explain names what is particular to the log-in of task 4: a refused
// name, a server that does not ask for one.
func explain(err error, addr, start string) (netfail.Problem, bool) {
	var ne net.Error
	switch {
	case errors.Is(err, ErrNameTaken):
		return netfail.Problem{Status: exitcode.NameTaken, Cause: "the name is taken: someone online has it",
			Remedy: "pick another name"}, true
	case errors.Is(err, ErrNameInvalid):
		return netfail.Problem{Status: exitcode.NameInvalid, Cause: "the server refused the name",
			Remedy: fmt.Sprintf("use 1 to %d characters, with no spaces, '@', '/' or invisible characters", MaxNameLen)}, true
	case errors.Is(err, ErrNoPrompt) && errors.As(err, &ne) && ne.Timeout():
		return netfail.Problem{Status: exitcode.LoginTimeout,
			Cause:  addr + " accepted the connection but never asked for a name",
			Remedy: "is it a ClassChat server of task 4 or later? start one with " + start}, true
	case errors.Is(err, ErrNoPrompt):
		return netfail.Problem{Status: exitcode.WrongProtocol,
			Cause:  addr + " did not ask for a name as a ClassChat server of task 4 or later does",
			Remedy: "check the port; a server of tasks 1–3 speaks plain lines: use make client-task3"}, true
	}
	return netfail.Problem{}, false
}
