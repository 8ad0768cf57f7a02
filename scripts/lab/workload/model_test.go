package workload

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/proto"
)

func sys(text string) proto.Message { return proto.Message{Kind: proto.KindSystemMsg, Text: text} }

// TestModelFollowsTheSpec walks a short session and checks what the model
// says each user receives at each step.
func TestModelFollowsTheSpec(t *testing.T) {
	const alice, bob, carol = 0, 1, 2
	m := NewModel([]string{"alice", "bob", "carol"})
	steps := []struct {
		name string
		do   Action
		want map[int][]proto.Message
	}{
		{"alice logs in: only she hears of it", Action{Op: OpLogin, User: alice}, map[int][]proto.Message{
			alice: {{Kind: proto.KindLoginAck, Username: "alice", Room: "general"}},
		}},
		{"bob logs in: alice, in general, is told", Action{Op: OpLogin, User: bob}, map[int][]proto.Message{
			bob:   {{Kind: proto.KindLoginAck, Username: "bob", Room: "general"}},
			alice: {sys("bob joined general")},
		}},
		{"carol logs in", Action{Op: OpLogin, User: carol}, map[int][]proto.Message{
			carol: {{Kind: proto.KindLoginAck, Username: "carol", Room: "general"}},
			alice: {sys("carol joined general")},
			bob:   {sys("carol joined general")},
		}},
		{"room text reaches the others; the sender gets the count", Action{Op: OpRoomMsg, User: alice, Text: "hi"}, map[int][]proto.Message{
			bob:   {{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: "hi"}},
			carol: {{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: "hi"}},
			alice: {{Kind: proto.KindRoomMsgAck, Room: "general", Recipients: 2}},
		}},
		{"bob makes a room: general hears he left, he is told it was created", Action{Op: OpJoinRoom, User: bob, Room: "tech"}, map[int][]proto.Message{
			alice: {sys("bob left general")},
			carol: {sys("bob left general")},
			bob:   {{Kind: proto.KindJoinRoom, Room: "tech", Created: true}},
		}},
		{"carol joins it: bob hears, general hears she left", Action{Op: OpJoinRoom, User: carol, Room: "tech"}, map[int][]proto.Message{
			alice: {sys("carol left general")},
			bob:   {sys("carol joined tech")},
			carol: {{Kind: proto.KindJoinRoom, Room: "tech", Created: false}},
		}},
		{"joining the room one is in changes nothing", Action{Op: OpJoinRoom, User: carol, Room: "tech"}, map[int][]proto.Message{
			carol: {{Kind: proto.KindJoinRoom, Room: "tech"}},
		}},
		{"alice alone in general: nobody receives", Action{Op: OpRoomMsg, User: alice, Text: "anyone?"}, map[int][]proto.Message{
			alice: {{Kind: proto.KindRoomMsgAck, Room: "general", Recipients: 0}},
		}},
		{"a private message, to a name in other case", Action{Op: OpPrivateMsg, User: alice, To: "BOB", Text: "psst"}, map[int][]proto.Message{
			bob:   {{Kind: proto.KindPrivateMsg, From: "alice", Text: "psst"}},
			alice: {{Kind: proto.KindPrivateMsgDelivery, Status: proto.StatusDelivered, To: "bob"}},
		}},
		{"a private message to nobody", Action{Op: OpPrivateMsg, User: alice, To: "frank", Text: "hello?"}, map[int][]proto.Message{
			alice: {{Kind: proto.KindPrivateMsgDelivery, Status: proto.StatusNoSuchUser, To: "frank"}},
		}},
		{"users of the room, sorted", Action{Op: OpListUsers, User: carol}, map[int][]proto.Message{
			carol: {{Kind: proto.KindListUsers, Room: "tech", Users: []string{"bob", "carol"}}},
		}},
		{"rooms, sorted, with their members", Action{Op: OpListRooms, User: alice}, map[int][]proto.Message{
			alice: {{Kind: proto.KindListRooms, Rooms: []proto.RoomInfo{{Name: "general", Members: 1}, {Name: "tech", Members: 2}}}},
		}},
		{"bob logs out: tech hears it", Action{Op: OpLogout, User: bob}, map[int][]proto.Message{
			carol: {sys("bob left tech")},
		}},
		{"carol logs out: nobody is left to hear", Action{Op: OpLogout, User: carol}, map[int][]proto.Message{}},
		{"tech is gone; general stays", Action{Op: OpListRooms, User: alice}, map[int][]proto.Message{
			alice: {{Kind: proto.KindListRooms, Rooms: []proto.RoomInfo{{Name: "general", Members: 1}}}},
		}},
		{"alice logs out of an empty server", Action{Op: OpLogout, User: alice}, map[int][]proto.Message{}},
	}
	for i, s := range steps {
		require.NoError(t, m.Check(s.do), "step %d: %s", i, s.name)
		assert.Equal(t, s.want, m.Apply(s.do), "step %d: %s", i, s.name)
	}
	assert.Empty(t, m.Online())
}

func TestModelRefusesWhatTheScriptCannotDo(t *testing.T) {
	m := NewModel([]string{"alice", "bob"})
	m.Apply(Action{Op: OpLogin, User: 0})
	tests := []struct {
		name string
		do   Action
	}{
		{"no such user", Action{Op: OpLogin, User: 7}},
		{"a second log-in", Action{Op: OpLogin, User: 0}},
		{"acting while offline", Action{Op: OpRoomMsg, User: 1, Text: "hi"}},
		{"a room name the server refuses", Action{Op: OpJoinRoom, User: 0, Room: "#general"}},
		{"empty text", Action{Op: OpRoomMsg, User: 0}},
		{"text over 4096 bytes", Action{Op: OpRoomMsg, User: 0, Text: string(make([]byte, 4097))}},
		{"a private message to oneself", Action{Op: OpPrivateMsg, User: 0, To: "Alice", Text: "hi"}},
		{"an unknown action", Action{Op: 99, User: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, m.Check(tt.do), ErrBadScript)
		})
	}
}

func TestEqualTreatsAnEmptyListAsNone(t *testing.T) {
	a := proto.Message{Kind: proto.KindListUsers, Room: "r", Users: []string{}}
	b := proto.Message{Kind: proto.KindListUsers, Room: "r"}
	assert.True(t, Equal(&a, &b))
	b.Room = "s"
	assert.False(t, Equal(&a, &b))
}

func TestFormatNamesTheFields(t *testing.T) {
	m := proto.Message{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: "hi"}
	assert.Equal(t, `ROOM_MSG{room=general from=alice text="hi"}`, Format(&m))
}
