// Command client-task4 is ClassChat task 4's client: log in with a name,
// then type "@user message" to send a direct message.
package main

import "chatlab/classchat/task4"

func main() {
	task4.ClientMain("client-task4", "ClassChat task 4 client: direct messages between named users.",
		"Type \"@user message\" (or \"user message\") to send a direct message, /help for the\n"+
			"commands, and /quit (or exit) to leave. What you send is shown as \"you → user: ...\".",
		task4.ClientConfig{})
}
