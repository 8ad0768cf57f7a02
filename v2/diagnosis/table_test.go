package diagnosis_test

import (
	"testing"

	"chatlab/chat-v2/diagnosis"
	"chatlab/shared/golden"
)

// The troubleshooting table in the README is the one the code makes
// (go test ./diagnosis -run Troubleshooting -update rewrites it).
func TestTroubleshootingTableIsCurrent(t *testing.T) {
	golden.CheckSection(t, "../README.md",
		"<!-- troubleshooting table: made by diagnosis.Markdown; go test ./diagnosis -update -->",
		"<!-- end of troubleshooting table -->",
		diagnosis.Markdown())
}
