// Package spectest is an independent conformance test of the v1 chat
// server, written only from the wire specification, docs/protocol.md
// (sections 1, 3 and 4; "§" numbers below point into it), and not from
// the server's code.
//
// Its client is deliberately tiny and uses nothing of the project but the
// call that starts a server: it dials TCP, writes JSON objects as lines
// and decodes each reply into a map[string]any, so that field names and
// JSON types are checked exactly as the specification states them. Every
// object the server sends is checked against the key table of §3.
//
// Keep it independent: do not import the server's codec, message types or
// test helpers here, and do not change a test to match the server. If the
// server and this test disagree, re-read the specification; if the
// specification is clear, the server is wrong.
package spectest
