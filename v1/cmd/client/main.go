// Command client-v1 is the ChatProto v1 client: JSON lines over TCP.
package main

import (
	"chatlab/chat-v1/app"
	"chatlab/chat-v1/jsonwire"
)

func main() {
	app.RunClient(app.ClientOptions{
		Name:    "client-v1",
		Summary: "ChatProto v1 client: chat in rooms and privately over JSON lines.",
		Codec:   jsonwire.Codec{},
	})
}
