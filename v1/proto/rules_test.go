package proto

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNames(t *testing.T) {
	tests := []struct {
		name       string
		user, room bool
	}{
		{"a", true, true},
		{"Zoë_1-2.3", true, true},
		{"日本語", true, true},
		{strings.Repeat("x", 20), true, true},
		{strings.Repeat("é", 20), true, true},
		{strings.Repeat("x", 21), false, true},
		{strings.Repeat("x", 32), false, true},
		{strings.Repeat("x", 33), false, false},
		{"", false, false},
		{"a b", false, false},
		{"a/b", false, false},
		{"🙂", false, false},
		{"\xff", false, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.user, ValidUsername(tt.name), "username %q", tt.name)
		assert.Equal(t, tt.room, ValidRoom(tt.name), "room %q", tt.name)
	}
}

func TestFoldName(t *testing.T) {
	assert.Equal(t, FoldName("alice"), FoldName("ALICE"))
	assert.Equal(t, FoldName("Émilie"), FoldName("éMILIE"))
	assert.Equal(t, FoldName("K"), FoldName("\u212A"), "Kelvin sign folds with K")
	assert.NotEqual(t, FoldName("alice"), FoldName("alicia"))
}

func TestCheckText(t *testing.T) {
	assert.Equal(t, CodeEmpty, CheckText(""))
	assert.Equal(t, ErrorCode(0), CheckText(strings.Repeat("x", MaxTextBytes)))
	assert.Equal(t, CodeTooLong, CheckText(strings.Repeat("x", MaxTextBytes+1)))
	assert.Equal(t, CodeMalformed, CheckText("\xff"))
}

func TestKinds(t *testing.T) {
	for k := KindLogin; k <= KindRoomMsgAck; k++ {
		got, ok := KindByName(k.Name())
		assert.True(t, ok)
		assert.Equal(t, k, got)
	}
	assert.Equal(t, "ROOM_MSG_ACK", KindRoomMsgAck.String())
	assert.Equal(t, "Kind(0x0d)", Kind(0x0d).String())
	for _, code := range []ErrorCode{CodeMalformed, CodeEmpty} {
		got, ok := ParseErrorCode(code.String())
		assert.True(t, ok)
		assert.Equal(t, code, got)
	}
}
