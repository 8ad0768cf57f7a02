// Command client-task2 is ClassChat task 2's client: the line client of
// task 1, with one thread that waits on the keyboard and the server
// together with poll(2). It works against server-task1 and server-task3.
package main

import (
	"os"

	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task2"
)

func main() {
	addr, cmd := cc.ClientCommand("client-task2",
		"ClassChat poll(2) client (tasks 1 and 3): type lines to the server; 'exit', /quit or Ctrl-D to quit.", nil,
		"Standard input is read as it is, with no line editor: poll(2) waits on it directly.\n"+
			"What you send is shown as \"you: ...\"; the server's lines as they come, but\n"+
			"control and invisible characters (escape sequences, bidi overrides) show as U+FFFD.",
		cc.ClientStatuses)
	if err := task2.Chat(addr, os.Stdin, os.Stdout); err != nil {
		cc.Fail(cmd, err, addr, "make server-task1 or make server-task3")
	}
}
