// Command server-task3 is ClassChat task 3's server: many clients, a
// goroutine each, a locked registry, broadcasts to the others.
package main

import (
	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task3"
)

func main() {
	cc.RunLineServer("server-task3", "task 3",
		"ClassChat task 3 server: many clients, one goroutine each; a line from one goes to all the others.",
		task3.New,
		"Stop it with Ctrl-C: every client is told before its connection closes.")
}
