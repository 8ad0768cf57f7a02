package loadgen

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Stage is a server the load generator can measure: which binary, how it
// is started, and how it is spoken to.
type Stage struct {
	Name    string // as make names it: "v3", "bonus1"
	Binary  string // the file in the binaries' folder: "server-v3"
	Dialect Dialect
	TLS     bool
	// ClassChat servers send the whole user list to everyone at every
	// log-in: their scale scenario is capped (see MaxClassChatClients).
	ClassChat bool
	// Profile reports whether the binary takes --cpuprofile.
	Profile bool
	// self: the binary is the generator itself (the lean server).
	self bool
	// args returns the command line after the binary for port 0, given a
	// scratch folder for the files the server keeps.
	args func(dir string) []string
}

// MaxClassChatClients caps the scale scenario of ClassChat servers. Each
// log-in sends every user the list of all users, so C log-ins cost the
// server C²/2 list entries written: at 10 000 clients, hundreds of
// gigabytes.
const MaxClassChatClients = 500

// flowOff are the flags that turn a server's inbound flow control off: the
// generator drives the servers flat out, and measures them, not the
// allowance each client gets by default.
var flowOff = []string{"--msg-rate", "0", "--byte-rate", "0"}

func chatProto(name string, d Dialect, tls bool) Stage {
	s := Stage{Name: name, Binary: "server-" + name, Dialect: d, TLS: tls, Profile: true,
		args: func(string) []string { return append(slices.Clone(flowOff), "0") }}
	if tls {
		s.args = func(dir string) []string {
			return append(slices.Clone(flowOff), "0", filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
		}
	}
	return s
}

func classChat(name string, groups bool) Stage {
	s := Stage{Name: name, Binary: "server-" + name, Dialect: classChatDialect{groups: groups}, ClassChat: true,
		args: func(string) []string { return append(slices.Clone(flowOff), "0") }}
	if name == "bonus3" {
		s.args = func(dir string) []string {
			return append(slices.Clone(flowOff), "-db", filepath.Join(dir, "offline.db"), "0")
		}
	}
	return s
}

// Stages are the servers the load generator speaks to, in report order.
var Stages = []Stage{
	chatProto("v1", jsonDialect{}, false),
	chatProto("v2", jsonDialect{}, false),
	chatProto("v2-tls", jsonDialect{}, true),
	chatProto("v3", binaryDialect{}, false),
	chatProto("v4", binaryDialect{}, true),
	classChat("task4", false),
	classChat("bonus1", true),
	classChat("bonus2", true),
	classChat("bonus3", true),
	leanStage(),
}

// LookupStages returns the stages named in list (separated by commas or
// spaces), in the order given.
func LookupStages(list string) ([]Stage, error) {
	var out []Stage
	for _, name := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		i := slices.IndexFunc(Stages, func(s Stage) bool { return s.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("%w %q; stages: %s", ErrUnknownStage, name, StageNames())
		}
		out = append(out, Stages[i])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: none given", ErrUnknownStage)
	}
	return out, nil
}

// StageNames lists the stages the load generator knows.
func StageNames() string {
	names := make([]string, len(Stages))
	for i, s := range Stages {
		names[i] = s.Name
	}
	return strings.Join(names, " ")
}
