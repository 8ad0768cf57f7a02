// Command client-v4 is the ChatProto v4 client: binary ChatProto v1.0 over
// TLS 1.2+. See ../../README.md.
package main

import (
	"chatlab/chat-v1/app"
	"chatlab/chat-v4/stage"
)

func main() { app.RunClient(stage.ClientOptions()) }
