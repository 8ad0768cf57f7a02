// Package diagnosis is v2's lesson on the client side: every way a session
// can fail is recognised, named in words a student understands, paired
// with the next step to take, and given its own exit status. Input is
// checked before it is sent, and the server's error codes are explained.
package diagnosis

import (
	"fmt"
	"strings"

	"chatlab/shared/exitcode"
)

// Exit statuses of client-v2, one for each class of problem: those of
// every ChatLab client (chatlab/shared/exitcode).
const (
	ExitOK             = exitcode.OK
	ExitOther          = exitcode.Other
	ExitUsage          = exitcode.Usage
	ExitNameTaken      = exitcode.NameTaken
	ExitNameInvalid    = exitcode.NameInvalid
	ExitServerFull     = exitcode.ServerFull
	ExitHostNotFound   = exitcode.HostNotFound
	ExitRefused        = exitcode.Refused
	ExitConnectTimeout = exitcode.ConnectTimeout
	ExitLoginTimeout   = exitcode.LoginTimeout
	ExitConnectionLost = exitcode.ConnectionLost
	ExitWrongProtocol  = exitcode.WrongProtocol
	ExitTLS            = exitcode.TLS
)

// Class is one kind of failure, with its exit status and what to say.
type Class struct {
	Status int
	Name   string
	// Cause and Remedy are formats; {addr} is the server's address and
	// {stage} the stage ("v2"), where they appear.
	Cause  string
	Remedy string
}

// Classes lists every failure the client recognises, in the order of the
// troubleshooting table.
var Classes = []Class{
	{ExitHostNotFound, "host not found",
		"the host name in {addr} does not exist (DNS has no such name)",
		"check the spelling of the host, or use an IP address such as 127.0.0.1"},
	{ExitRefused, "connection refused",
		"nothing is listening at {addr}",
		"is the server running? start it with make server-{stage}, and check the port"},
	{ExitConnectTimeout, "connection timed out",
		"{addr} did not accept the connection in time",
		"check the host and port; a firewall may drop the packets; try a longer --timeout"},
	{ExitLoginTimeout, "log-in timed out",
		"{addr} accepted the connection but never answered the log-in",
		"it answered neither the log-in nor a blank line sent after it: check the port (is it a chat server?) and the server's log"},
	{ExitConnectionLost, "connection closed",
		"the server closed the connection",
		"the server was stopped or cut this client off; start the client again once the server is up"},
	{ExitConnectionLost, "connection reset",
		"the connection was reset: the server crashed or was killed",
		"look at the server's terminal for what happened, restart it, then the client"},
	{ExitWrongProtocol, "closed without answering",
		"{addr} closed the connection without answering the log-in",
		"it may speak another protocol (a plain client also tried TLS, in vain): check the port, and use the client of the stage the server runs"},
	{ExitWrongProtocol, "speaks TLS",
		"{addr} answered with TLS",
		"it is a TLS server: use a TLS client (make client-v2-tls, make client-v4)"},
	{ExitWrongProtocol, "speaks binary ChatProto",
		"{addr} answered in binary ChatProto (v3 or v4)",
		"use the client of the stage the server runs: make client-v3 or make client-v4"},
	{ExitWrongProtocol, "speaks JSON ChatProto",
		"{addr} answered in JSON ChatProto (v1 or v2)",
		"use the client of the stage the server runs: make client-v1 or make client-v2"},
	{ExitWrongProtocol, "speaks ClassChat",
		"{addr} answered with ClassChat's text: it is a ClassChat server",
		"use a ClassChat client (make client-task3, make client-task4, ...), or the port of a ChatProto server"},
	{ExitWrongProtocol, "speaks something else",
		"{addr} answered with something that is not ChatProto",
		"check the port: another program listens there"},
	{ExitTLS, "TLS: not a TLS server",
		"{addr} does not speak TLS",
		"it is a plain server: use a plain client (make client-v2, make client-v3)"},
	{ExitTLS, "TLS: no handshake",
		"{addr} did not answer the TLS handshake",
		"it may be a plain server: use a plain client (make client-v2, make client-v3); or try a longer --timeout"},
	{ExitTLS, "TLS: certificate not trusted",
		"the server's certificate is not signed by an authority this client trusts",
		"give the server's certificate with --ca FILE, or (for a test only) --insecure"},
	{ExitTLS, "TLS: wrong host name",
		"the server's certificate is not valid for the host name used",
		"connect by a name the certificate lists (localhost, 127.0.0.1, ::1)"},
	{ExitTLS, "TLS: certificate expired",
		"the server's certificate has expired (or is not valid yet)",
		"make a new one: make certs, then restart the server; check the clocks of both machines"},
	{ExitTLS, "TLS: handshake failed",
		"the TLS handshake with {addr} failed",
		"check that the server is a TLS server of this stage and that its certificate is valid"},
	{ExitNameTaken, "name taken",
		"someone with that name (ignoring case) is online",
		"pick another name"},
	{ExitNameInvalid, "name invalid",
		"the username breaks the rules",
		"use 1 to 20 letters, digits, '_', '-' or '.'"},
	{ExitServerFull, "server full",
		"the server has as many users as it allows",
		"try again later, or ask the operator to raise -max-users"},
	{ExitOther, "other",
		"an unexpected error",
		"read the message; run the server with -v for details"},
}

// Problem is a diagnosed failure.
type Problem struct {
	Class  Class
	Detail string // the underlying error or the server's text
	Addr   string
	Stage  string
}

// Fatal reports whether trying again cannot help: the server speaks
// another protocol, or its certificate does not verify (a handshake that
// never came may be a server still starting), or the name is refused.
func (p Problem) Fatal() bool {
	switch p.Class.Status {
	case ExitWrongProtocol, ExitNameTaken, ExitNameInvalid:
		return true
	case ExitTLS:
		return p.Class.Name != "TLS: no handshake"
	}
	return false
}

// Cause is what happened, in words.
func (p Problem) Cause() string { return p.fill(p.Class.Cause) }

// Remedy is the next step.
func (p Problem) Remedy() string { return p.fill(p.Class.Remedy) }

func (p Problem) fill(s string) string {
	return strings.NewReplacer("{addr}", p.Addr, "{stage}", p.Stage).Replace(s)
}

// String is the message the client prints.
func (p Problem) String() string {
	s := p.Cause()
	if p.Detail != "" && !strings.Contains(s, p.Detail) {
		// The detail, unless it only says the cause again.
		s += " (" + p.Detail + ")"
	}
	return s + "\n  next step: " + p.Remedy()
}

func classNamed(name string) Class {
	for _, c := range Classes {
		if c.Name == name {
			return c
		}
	}
	panic("diagnosis: no class " + name)
}

// Markdown renders the troubleshooting table: every class with its exit
// status, cause and next step. v2's README carries it; a test keeps the
// two the same.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| exit | problem | what happened | next step |\n|---|---|---|---|\n")
	for _, c := range Classes {
		p := Problem{Class: c, Addr: "HOST:PORT", Stage: "v2"}
		fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", c.Status, c.Name, p.Cause(), p.Remedy())
	}
	return b.String()
}
