// Command server-task4 is ClassChat task 4's server: named users and
// direct messages routed as JSON, in the original project's dialect.
package main

import (
	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task4"
)

func main() {
	cc.RunServer("server-task4", "task 4",
		"ClassChat task 4 server: users log in with a name and send each other direct messages (JSON).",
		cc.DefaultFlow,
		task4.New,
		"The original Python task 4 client works with it unchanged. Stop it with Ctrl-C.")
}
