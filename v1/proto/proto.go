// Package proto is ChatProto's message model, shared by every stage from
// v1 to v4: the twelve message kinds, their enumerations, the limits and
// naming rules of docs/protocol.md, and the Codec interface an encoding (JSON
// lines in v1 and v2, the binary frames of v3 and v4) implements.
package proto

import (
	"fmt"
	"time"
)

// Limits and timings fixed by docs/protocol.md §1.
const (
	DefaultPort     = 5555
	GeneralRoom     = "general"
	MaxUsernameLen  = 20    // code points
	MaxRoomLen      = 32    // code points
	MaxTextBytes    = 4096  // bytes of UTF-8
	MaxJSONLine     = 65536 // bytes, the newline included
	MaxBinaryBody   = 1 << 20
	MaxListEntries  = 65535
	LoginTimeout    = 10 * time.Second
	ShutdownMessage = "server shutting down"
)

// Kind is a message kind; its value is the binary type code.
type Kind uint8

// The twelve message kinds.
const (
	KindLogin              Kind = 0x01
	KindLoginAck           Kind = 0x02
	KindLoginReject        Kind = 0x03
	KindRoomMsg            Kind = 0x04
	KindPrivateMsg         Kind = 0x05
	KindPrivateMsgDelivery Kind = 0x06
	KindJoinRoom           Kind = 0x07
	KindListUsers          Kind = 0x08
	KindListRooms          Kind = 0x09
	KindSystemMsg          Kind = 0x0A
	KindErrorMsg           Kind = 0x0B
	KindRoomMsgAck         Kind = 0x0C
)

var kindNames = [...]string{
	KindLogin:              "login",
	KindLoginAck:           "login_ack",
	KindLoginReject:        "login_reject",
	KindRoomMsg:            "room_msg",
	KindPrivateMsg:         "private_msg",
	KindPrivateMsgDelivery: "private_msg_delivery",
	KindJoinRoom:           "join_room",
	KindListUsers:          "list_users",
	KindListRooms:          "list_rooms",
	KindSystemMsg:          "system_msg",
	KindErrorMsg:           "error_msg",
	KindRoomMsgAck:         "room_msg_ack",
}

// Name is the kind's lower-case wire name, as the JSON "type" key carries
// it ("room_msg"); "" for an unknown kind.
func (k Kind) Name() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return ""
}

// String is the kind's name in upper case, as docs/protocol.md writes it.
func (k Kind) String() string {
	if n := k.Name(); n != "" {
		return upper(n)
	}
	return fmt.Sprintf("Kind(0x%02x)", uint8(k))
}

// KindByName returns the kind with the given wire name.
func KindByName(name string) (Kind, bool) {
	for k, n := range kindNames {
		if n != "" && n == name {
			return Kind(k), true
		}
	}
	return 0, false
}

// Dir is the direction a message travels; some kinds have a different
// layout each way.
type Dir uint8

// The two directions.
const (
	ClientToServer Dir = iota
	ServerToClient
)

func (d Dir) String() string {
	if d == ClientToServer {
		return "C→S"
	}
	return "S→C"
}

// Sends reports whether a message of kind k may travel in direction d.
func (d Dir) Sends(k Kind) bool {
	switch k {
	case KindLogin:
		return d == ClientToServer
	case KindRoomMsg, KindPrivateMsg, KindJoinRoom, KindListUsers, KindListRooms:
		return true
	case KindLoginAck, KindLoginReject, KindPrivateMsgDelivery, KindSystemMsg, KindErrorMsg, KindRoomMsgAck:
		return d == ServerToClient
	}
	return false
}

// RoomInfo is one entry of a LIST_ROOMS reply.
type RoomInfo struct {
	Name    string
	Members int
}

// Message is any of the twelve kinds. Only the fields of its kind (and
// direction) are meaningful; the others are zero.
//
//	LOGIN                 Username
//	LOGIN_ACK             Username, Room
//	LOGIN_REJECT          Reason, Text
//	ROOM_MSG              C→S Text; S→C Room, From, Text
//	PRIVATE_MSG           C→S To, Text; S→C From, Text
//	PRIVATE_MSG_DELIVERY  Status, To
//	JOIN_ROOM             C→S Room; S→C Room, Created
//	LIST_USERS            S→C Room, Users
//	LIST_ROOMS            S→C Rooms
//	SYSTEM_MSG            Text
//	ERROR_MSG             Code, Text
//	ROOM_MSG_ACK          Room, Recipients
type Message struct {
	Kind       Kind
	Username   string
	Room       string
	From       string
	To         string
	Text       string
	Reason     RejectReason
	Status     DeliveryStatus
	Code       ErrorCode
	Created    bool
	Recipients uint32
	Users      []string
	Rooms      []RoomInfo
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
