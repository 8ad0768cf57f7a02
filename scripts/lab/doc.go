// Package lab is the lab kit: the tools an instructor uses beside the
// stages. Its commands grade any stage's server over the wire
// (cmd/grade), reproduce the bandwidth comparison of JSON, binary and TLS
// (cmd/bandwidth) and write captures to open in Wireshark (cmd/pcaps).
package lab
