// Package grade ties a stage to its rubric and to the programs it grades:
// the stage's own server (started by the grader on a free port), a server
// already running at an address (any implementation, in any language), or
// a server or client program given as a command.
package grade

import (
	"fmt"
	"regexp"

	"chatlab/lab/rubric"
	"chatlab/lab/target"
)

// Env is what a rubric's checks grade.
type Env struct {
	// Addr is where the server listens (127.0.0.1:port).
	Addr string
	// Server is the server process when the grader started it; nil when it
	// grades a server running elsewhere (checks that need the process —
	// its output, its standard input, a shutdown — are then not graded).
	Server *target.Process
	// Client is the client program to drive (its command and arguments
	// before the stage's own arguments); nil when none was given, and
	// client checks are not graded.
	Client []string
	// CA is the certificate a TLS stage's server must present; "" accepts
	// any certificate (a student's self-signed one, say).
	CA string
	// Logf writes -v lines; never nil.
	Logf func(format string, args ...any)
}

// NeedServer ends check c as not graded unless the grader runs the server.
func (e Env) NeedServer(c *rubric.C, what string) *target.Process {
	if e.Server == nil {
		c.Skipf("needs the server process (%s): grade without ADDR to check it", what)
	}
	return e.Server
}

// NeedClient ends check c as not graded unless a client program was given.
func (e Env) NeedClient(c *rubric.C) []string {
	if len(e.Client) == 0 {
		c.Skipf("needs a client program: give one with CLIENT=path")
	}
	return e.Client
}

// Stage is one gradable stage.
type Stage struct {
	Name  string // as make knows it: "v3", "task4"
	Title string
	// Server is the stage's own server binary, relative to the bin folder
	// ("server-v3"); "" for a stage without a server (task 2).
	Server string
	// Client is the stage's own client binary ("client-task2") and the
	// flags it needs, used when none was given; "{ca}" stands for the
	// certificate a TLS client must trust.
	Client []string
	// ServerArgs, if set, are flags the stage's own server gets, with dir
	// a folder of the run's own (bonus 3 keeps its queue there, not in
	// the user's).
	ServerArgs func(dir string) []string
	// TLS stages' servers take `[port] [certfile] [keyfile]`: the grader
	// gives them a fresh pair, and checks the certificate it is shown.
	TLS bool
	// Ready is the server's "I listen" output line, if probing with a
	// connection would disturb it.
	Ready *regexp.Regexp
	// Spec says where the rubric's rule citations point: a document of
	// this repository ("§1.2 is docs/protocol.md, section 1, rule 2").
	Spec string
	// Probe, if set, looks at what the server at env.Addr speaks before
	// any check runs, and returns one line saying so if it is not the
	// rubric's protocol ("" if it is, or if it cannot tell).
	Probe func(env Env) string
	// Rubric builds the stage's checks for env.
	Rubric func(env Env) rubric.Rubric
}

// Build returns the stage's rubric for env, named after the stage.
func (s Stage) Build(env Env) rubric.Rubric {
	r := s.Rubric(env)
	r.Stage, r.Title, r.Spec = s.Name, s.Title, s.Spec
	return r
}

// Registry is every stage the grader knows, in order.
type Registry []Stage

// Lookup returns the stage called name.
func (r Registry) Lookup(name string) (Stage, error) {
	for _, s := range r {
		if s.Name == name {
			return s, nil
		}
	}
	return Stage{}, fmt.Errorf("unknown stage %q; stages: %v", name, r.Names())
}

// Names lists the stages' names.
func (r Registry) Names() []string {
	names := make([]string, len(r))
	for i, s := range r {
		names[i] = s.Name
	}
	return names
}
