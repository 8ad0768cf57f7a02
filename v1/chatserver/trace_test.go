package chatserver_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/shared/chattest"
	"chatlab/shared/logging"
)

// With Trace the server logs every frame it receives and sends; a
// broadcast once, with its recipients.
func TestServerTrace(t *testing.T) {
	log := chattest.NewOutput()
	srv := wiretest.Env{Codec: jsonwire.Codec{}}.StartServer(t, chatserver.Config{
		Trace: true, Logger: logging.NewAt(log, logging.LevelTrace),
	})
	bob := srv.Login("bob")
	alice := srv.Login("alice")
	bob.Expect("alice's arrival", wiretest.System("alice joined general"))
	alice.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "hi"})
	alice.Next()
	bob.Next()
	wiretest.Sync(t, alice) // every line above is logged before this answer

	var traces []string
	for _, l := range strings.Split(log.String(), "\n") {
		if strings.HasPrefix(l, "[TRACE]") && strings.Contains(l, "alice") {
			traces = append(traces, l[strings.Index(l, ": ")+2:])
		}
	}
	assert.Equal(t, []string{
		`{"type":"login","username":"alice"}`,
		`{"type":"login_ack","username":"alice","room":"general"}`,
		`{"type":"system_msg","text":"alice joined general"}`,
		`{"type":"room_msg","text":"hi"}`,
		`{"type":"room_msg","room":"general","from":"alice","text":"hi"}`,
		`{"type":"room_msg_ack","room":"general","recipients":1}`,
		`{"type":"list_rooms"}`,
		`{"type":"list_rooms","rooms":[{"name":"general","members":2}]}`,
	}, traces)
	assert.Contains(t, log.String(), `[TRACE] → room general (1 recipient): {"type":"room_msg","room":"general","from":"alice","text":"hi"}`)
}
