// Package spectest is an independent conformance test of the v3 chat
// server, written from the wire specification alone, docs/protocol.md
// (§1, the session rules, and §2, the ChatProto v1.0 binary encoding;
// "§" numbers below point into it), and not from the server's or the
// codec's code.
//
// Its client is deliberately tiny and uses nothing of the project but the
// call that starts a server: a codec of its own, built from the tables of
// §2 with the standard library (encoding/binary, unicode/utf8), dials TCP,
// writes frames and decodes every frame the server sends strictly — magic,
// version, flags 0, body_len equal to the body, the exact layout of the
// type with no byte left over, valid UTF-8, enumerations in range. Some
// replies are compared byte for byte with frames computed by hand from §2.
//
// Files:
//
//   - codec_test.go: the codec, checked against the test vectors of §2.
//   - wire_test.go: the client that talks to a real server.
//   - spec_test.go: the rules of §1 and §2, one subtest per rule.
//
// Keep it independent: do not import the server's codec, message types or
// test helpers here, and do not change a test to match the server. If the
// server and this test disagree, re-read the specification; if the
// specification is clear, the server is wrong.
package spectest
