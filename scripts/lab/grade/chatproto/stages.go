// Package chatproto holds the grader's rubrics for ChatProto v1–v4: the
// session rules of docs/protocol.md §1 and the start-up lines of §4,
// which every stage must follow, then the rules of its encoding (JSON
// lines, §3, or the binary frames of §2) and, for the TLS stages, of its transport. Every
// check is black-box: it talks to the server at an address, so it grades
// any implementation of the stage in any language.
package chatproto

import (
	"sort"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v3/binwire"
	"chatlab/lab/grade"
	"chatlab/lab/rubric"
)

// Total is what every ChatProto rubric is worth.
const Total = 100

// Parallel is how many checks run at once. Each check uses names of its
// own and passes over the notices others cause, so they can share the
// server; most of a check's time is waiting for the server's answers.
const Parallel = 4

// Spec says where the rubrics' rules point.
const Spec = "docs/protocol.md: §1.2 is its section 1, rule 2; \"stage table\" is its table of the stages"

// Stages are the ChatProto stages the grader knows.
var Stages = grade.Registry{
	{Name: "v1", Title: "ChatProto v1: JSON lines over TCP", Spec: Spec, Server: "server-v1", Client: []string{"client-v1"},
		Probe: probe(jsonwire.Codec{}, false), Rubric: rubricFor("v1", jsonwire.Codec{}, false, true)},
	{Name: "v2", Title: "ChatProto v2: JSON lines over TCP, every error answered", Spec: Spec, Server: "server-v2", Client: []string{"client-v2"},
		Probe: probe(jsonwire.Codec{}, false), Rubric: rubricFor("v2", jsonwire.Codec{}, false, false)},
	{Name: "v2-tls", Title: "ChatProto v2 over TLS: JSON lines over TLS 1.2+", Spec: Spec, Server: "server-v2-tls", TLS: true,
		Client: []string{"client-v2-tls", "--ca", "{ca}"},
		Probe:  probe(jsonwire.Codec{}, true), Rubric: rubricFor("v2-tls", jsonwire.Codec{}, true, false)},
	{Name: "v3", Title: "ChatProto v1.0: binary frames over TCP", Spec: Spec, Server: "server-v3", Client: []string{"client-v3"},
		Probe: probe(binwire.Codec{}, false), Rubric: rubricFor("v3", binwire.Codec{}, false, false)},
	{Name: "v4", Title: "ChatProto v1.0 over TLS 1.2+", Spec: Spec, Server: "server-v4", TLS: true,
		Client: []string{"client-v4", "--ca", "{ca}"},
		Probe:  probe(binwire.Codec{}, true), Rubric: rubricFor("v4", binwire.Codec{}, true, false)},
}

// rubricFor assembles a stage's rubric. lenient is v1's: it may close the
// connection where later stages must answer with ERROR_MSG.
func rubricFor(stage string, codec proto.Codec, useTLS, lenient bool) func(grade.Env) rubric.Rubric {
	return func(env grade.Env) rubric.Rubric {
		w := newWire(env, codec, useTLS)
		checks := w.sessionChecks(lenient)
		if codec.Name() == "json" {
			checks = append(checks, w.jsonChecks(lenient)...)
		} else {
			checks = append(checks, w.binaryChecks()...)
		}
		if useTLS {
			checks = append(checks, w.tlsChecks()...)
		}
		checks = append(checks, w.clientChecks()...)
		checks = append(checks, w.shutdownCheck())
		return rubric.Rubric{Stage: stage, Checks: scale(checks, Total), Parallel: Parallel}
	}
}

// scale turns the checks' points, written as weights, into points that
// add up to total, by largest remainder, so that every stage's rubric is
// out of the same total whatever its number of checks.
func scale(checks []rubric.Check, total int) []rubric.Check {
	weights := 0
	for _, c := range checks {
		weights += c.Points
	}
	type rem struct{ i, r int }
	rems := make([]rem, len(checks))
	given := 0
	for i := range checks {
		exact := checks[i].Points * total
		checks[i].Points = exact / weights
		given += checks[i].Points
		rems[i] = rem{i, exact % weights}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < total; k++ {
		checks[rems[k].i].Points++
		given++
	}
	return checks
}
