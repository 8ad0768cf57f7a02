// Command server-v2-tls is ChatProto v2's server over TLS. See ../../README.md.
package main

import (
	"chatlab/chat-v1/app"
	"chatlab/chat-v2/stage"
)

func main() {
	app.RunServer(stage.ServerOptions(true))
}
