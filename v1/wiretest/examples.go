package wiretest

import "chatlab/chat-v1/proto"

// Example is a sample message and the direction it travels.
type Example struct {
	Dir proto.Dir
	Msg proto.Message
}

// Name names the example for golden files: "room_msg s2c".
func (e Example) Name() string {
	d := "c2s"
	if e.Dir == proto.ServerToClient {
		d = "s2c"
	}
	return e.Msg.Kind.Name() + " " + d
}

var (
	c2s = proto.ClientToServer
	s2c = proto.ServerToClient
)

// Examples holds one sample of every kind in every direction it travels
// (LOGIN_REJECT, PRIVATE_MSG_DELIVERY and ERROR_MSG once per value of
// their enumeration). The codecs' golden files, and the size table of the
// protocol document, are made from them.
var Examples = []Example{
	{c2s, proto.Message{Kind: proto.KindLogin, Username: "alice"}},
	{s2c, proto.Message{Kind: proto.KindLoginAck, Username: "alice", Room: "general"}},
	{s2c, proto.Message{Kind: proto.KindLoginReject, Reason: proto.ReasonNameTaken, Text: "the name alice is taken"}},
	{s2c, proto.Message{Kind: proto.KindLoginReject, Reason: proto.ReasonNameInvalid, Text: "bad name"}},
	{s2c, proto.Message{Kind: proto.KindLoginReject, Reason: proto.ReasonServerFull, Text: "full"}},
	{c2s, proto.Message{Kind: proto.KindRoomMsg, Text: "hi"}},
	{s2c, proto.Message{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: "hi"}},
	{c2s, proto.Message{Kind: proto.KindPrivateMsg, To: "bob", Text: "psst"}},
	{s2c, proto.Message{Kind: proto.KindPrivateMsg, From: "alice", Text: "psst"}},
	{s2c, proto.Message{Kind: proto.KindPrivateMsgDelivery, Status: proto.StatusDelivered, To: "bob"}},
	{s2c, proto.Message{Kind: proto.KindPrivateMsgDelivery, Status: proto.StatusNoSuchUser, To: "zed"}},
	{c2s, proto.Message{Kind: proto.KindJoinRoom, Room: "tech"}},
	{s2c, proto.Message{Kind: proto.KindJoinRoom, Room: "tech", Created: true}},
	{c2s, proto.Message{Kind: proto.KindListUsers}},
	{s2c, proto.Message{Kind: proto.KindListUsers, Room: "general", Users: []string{"alice", "bob"}}},
	{c2s, proto.Message{Kind: proto.KindListRooms}},
	{s2c, proto.Message{Kind: proto.KindListRooms, Rooms: []proto.RoomInfo{{Name: "general", Members: 2}, {Name: "tech", Members: 1}}}},
	{s2c, proto.Message{Kind: proto.KindSystemMsg, Text: "alice joined general"}},
	{s2c, proto.Message{Kind: proto.KindErrorMsg, Code: proto.CodeMalformed, Text: "bad"}},
	{s2c, proto.Message{Kind: proto.KindErrorMsg, Code: proto.CodeUnsupported, Text: "unknown"}},
	{s2c, proto.Message{Kind: proto.KindErrorMsg, Code: proto.CodeNotLoggedIn, Text: "log in first"}},
	{s2c, proto.Message{Kind: proto.KindErrorMsg, Code: proto.CodeAlreadyLoggedIn, Text: "already"}},
	{s2c, proto.Message{Kind: proto.KindErrorMsg, Code: proto.CodeNameInvalid, Text: "bad room"}},
	{s2c, proto.Message{Kind: proto.KindErrorMsg, Code: proto.CodeTooLong, Text: "too long"}},
	{s2c, proto.Message{Kind: proto.KindErrorMsg, Code: proto.CodeEmpty, Text: "empty"}},
	{s2c, proto.Message{Kind: proto.KindRoomMsgAck, Room: "general", Recipients: 3}},
}
