// Package wireshark holds chatproto.lua, a Wireshark dissector for
// ChatProto: the binary frames of v3 and v4 (every header and body field,
// with the names of types and enumerations) and the JSON lines of v1 and
// v2, on TCP port 5555, and inside TLS when Wireshark has the session
// keys. Its tests run tshark with the dissector over captures the lab kit
// writes and check that every field decodes to what was sent.
//
//	tshark -X lua_script:scripts/lab/wireshark/chatproto.lua -r bin/lab/pcaps/v3.pcap -O chatproto
package wireshark
