// Command server-v1 is the ChatProto v1 server: JSON lines over TCP, with
// rooms and private messages (docs/protocol.md §1, §3, §4).
package main

import (
	"chatlab/chat-v1/app"
	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
)

func main() {
	app.RunServer(app.ServerOptions{
		Name:    "server-v1",
		Summary: "ChatProto v1 server: JSON chat over TCP with rooms and private messages.",
		Stage:   "v1",
		Config:  chatserver.Config{Codec: jsonwire.Codec{}},
	})
}
