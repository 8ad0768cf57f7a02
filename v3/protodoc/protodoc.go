// Package protodoc makes the generated parts of docs/protocol.md from the
// codecs themselves, so the document cannot drift from the code: a byte
// diagram of every message kind in every direction, and the size of each
// in JSON and in binary. A test checks the document against them
// (go test ./protodoc -update rewrites it).
package protodoc

import (
	"fmt"
	"strings"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/wiretest"
	"chatlab/chat-v3/binwire"
)

// describe names an example: "ROOM_MSG S→C room "general", from ...".
func describe(ex wiretest.Example) string {
	return ex.Msg.Kind.String() + " " + ex.Dir.String()
}

// examples returns one example per kind and direction (the first of each).
func examples() []wiretest.Example {
	seen := map[string]bool{}
	var out []wiretest.Example
	for _, ex := range wiretest.Examples {
		if !seen[describe(ex)] {
			seen[describe(ex)] = true
			out = append(out, ex)
		}
	}
	return out
}

// Diagrams renders a byte diagram of every kind in every direction.
func Diagrams() string {
	var b strings.Builder
	for _, ex := range examples() {
		frame, err := binwire.Marshal(&ex.Msg, ex.Dir)
		if err != nil {
			panic(err)
		}
		line, _ := jsonwire.Marshal(&ex.Msg, ex.Dir)
		fmt.Fprintf(&b, "#### %s (0x%02x)\n\nJSON: `%s`\n\n```\noffset  bytes                               field            value\n%s```\n\n",
			describe(ex), uint8(ex.Msg.Kind), strings.TrimSuffix(string(line), "\n"), binwire.Diagram(frame, ex.Dir))
	}
	return b.String()
}

// Sizes renders the table of sizes: each example in JSON (the line and its
// newline) and in binary (header and body), and what binary saves.
func Sizes() string {
	var b strings.Builder
	b.WriteString("| message | JSON bytes | binary bytes | binary saves |\n|---|---:|---:|---:|\n")
	var totalJSON, totalBin int
	for _, ex := range examples() {
		line, _ := jsonwire.Marshal(&ex.Msg, ex.Dir)
		frame, _ := binwire.Marshal(&ex.Msg, ex.Dir)
		totalJSON += len(line)
		totalBin += len(frame)
		fmt.Fprintf(&b, "| %s | %d | %d | %s |\n", describe(ex), len(line), len(frame), saving(len(line), len(frame)))
	}
	fmt.Fprintf(&b, "| **all of the above** | **%d** | **%d** | **%s** |\n", totalJSON, totalBin, saving(totalJSON, totalBin))
	return b.String()
}

func saving(json, bin int) string {
	return fmt.Sprintf("%.0f%%", 100*float64(json-bin)/float64(json))
}
