// Command client-task4 is ClassChat task 4's client: log in with a name,
// then type "<user> <message>" to send a direct message.
package main

import "chatlab/classchat/task4"

func main() {
	task4.ClientMain("client-task4", "ClassChat task 4 client: direct messages between named users.",
		"Type \"<user> <message>\" to send a direct message, and exit to leave.", task4.ClientConfig{})
}
