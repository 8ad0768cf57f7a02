package protodoc

import (
	"testing"

	"chatlab/shared/golden"
)

const doc = "../../docs/protocol.md"

// The generated sections of docs/protocol.md are what the codecs make.
func TestProtocolDocument(t *testing.T) {
	golden.CheckSection(t, doc, "<!-- diagrams: made by v3/protodoc; go test ./protodoc -update -->",
		"<!-- end of diagrams -->", Diagrams())
	golden.CheckSection(t, doc, "<!-- sizes: made by v3/protodoc; go test ./protodoc -update -->",
		"<!-- end of sizes -->", Sizes())
}
