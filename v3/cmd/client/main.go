// Command client-v3 is the ChatProto v3 client: binary ChatProto v1.0
// over TCP. See ../../README.md.
package main

import (
	"chatlab/chat-v1/app"
	"chatlab/chat-v3/stage"
)

func main() { app.RunClient(stage.V3.ClientOptions(false)) }
