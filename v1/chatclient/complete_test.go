package chatclient_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"chatlab/chat-v1/wiretest"
)

func TestComplete(t *testing.T) {
	srv := startServer(t)
	bob := srv.Login("bob")
	srv.Login("Bernard")
	alice := start(t, srv, "alice", false)
	alice.screen.waitLine(t, "[12:01:05] *** logged in as alice, in room general. Type /help for commands.")
	bob.Expect("alice's arrival", wiretest.System("alice joined general"))
	alice.typeLine("/join tech")
	alice.screen.waitLine(t, "[12:01:05] *** you are now in tech (a new room)")
	alice.typeLine("/j general")
	alice.screen.waitLine(t, "[12:01:05] *** you are now in general")
	alice.typeLine("/users") // alice learns the names in general
	alice.screen.waitLine(t, "[12:01:05] *** 3 users in general: Bernard, alice, bob")

	c := alice.client
	tests := []struct {
		name, line string
		pos        int
		head       string
		want       []string
		tail       string
	}{
		{"commands", "/w", 2, "", []string{"/whisper ", "/who "}, ""},
		{"user after /msg", "/msg b", 6, "/msg ", []string{"Bernard ", "bob "}, ""},
		{"room after /join", "/join te", 8, "/join ", []string{"tech "}, ""},
		{"user mid-sentence", "hello B there", 7, "hello ", []string{"Bernard ", "bob "}, " there"},
		{"nothing matches", "/msg zz", 7, "/msg ", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head, got, tail := c.Complete(tt.line, tt.pos)
			assert.Equal(t, tt.head, head)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.tail, tail)
		})
	}
}
