// Command server-v3 is the ChatProto v3 server: binary ChatProto v1.0 over
// TCP. See ../../README.md.
package main

import (
	"chatlab/chat-v1/app"
	"chatlab/chat-v3/stage"
)

func main() { app.RunServer(stage.V3.ServerOptions(false)) }
