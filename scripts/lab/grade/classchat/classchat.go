// Package classchat grades the ClassChat stages (classchat/ in this
// repository; the protocol is docs/classchat-protocol.md) black-box, over
// the wire: every check talks to a server at env.Addr as a client would,
// so the same rubric grades the stage's own server, or any other
// implementation of its protocol, in any language, given with ADDR.
//
// The rubrics carry the course's weights: task 1 30 points, task 2 20,
// task 3 20, task 4 30, each bonus 10. A check's Rule names the part of
// docs/classchat-protocol.md it covers: a task's section, or "original's
// bug N", item N of its list of what the original gets wrong.
//
//   - Task 1's server serves one client, and its operator types at its
//     standard input and reads its standard output. Its checks walk through
//     that one session in order (a check after a broken step says so), and
//     the operator's side is graded only when the grader runs the server.
//     The operator's exit needs a second session, so a restart of the
//     server process.
//   - Task 2 is a client. Its rubric runs the client program (env.Client)
//     against a server the grader plays on 127.0.0.1.
//   - Task 3 to bonus 3 are servers that serve many clients; each check
//     uses its own clients with names of its own, so that checks do not
//     see each other, and passes over the notices other checks' clients
//     cause (joins, departures, user lists).
//
// Checks wait for events with deadlines (the one state no event announces,
// a client's socket read empty, is looked at every millisecond); a failure
// is one line that says what was expected and what came instead.
//
// Task 1's second session and bonus 3's crash restart the server
// (target.Process.Restart); bonus 3's own server keeps its queue in a
// folder of the run (Bonus3Args), not in the user's.
package classchat

import (
	"path/filepath"
	"regexp"

	"chatlab/lab/grade"
)

// Spec says where the rubrics' rules point.
const Spec = "docs/classchat-protocol.md: \"task N\" and \"bonus N\" are its sections; " +
	"\"original's bug N\" is item N of its list \"Where the original is wrong, and ours is not\""

// Stages are the ClassChat stages, in the course's order.
var Stages = grade.Registry{
	{
		Name: "task1", Title: "ClassChat task 1: one server, one client", Spec: Spec, Server: "server-task1",
		// Task 1 serves one client: a probe connection would use it up.
		Ready:  task1Ready,
		Rubric: Task1,
	},
	{
		Name: "task2", Title: "ClassChat task 2: one thread, poll(2)", Spec: Spec, Client: []string{"client-task2"},
		Rubric: Task2,
	},
	{
		Name: "task3", Title: "ClassChat task 3: many clients, a goroutine each", Spec: Spec, Server: "server-task3",
		Rubric: Task3,
	},
	{
		Name: "task4", Title: "ClassChat task 4: usernames and routed direct messages", Spec: Spec, Server: "server-task4",
		Rubric: Task4,
	},
	{
		Name: "bonus1", Title: "ClassChat bonus 1: groups", Spec: Spec, Server: "server-bonus1",
		Rubric: Bonus1,
	},
	{
		Name: "bonus2", Title: "ClassChat bonus 2: file transfer", Spec: Spec, Server: "server-bonus2",
		Rubric: Bonus2,
	},
	{
		Name: "bonus3", Title: "ClassChat bonus 3: offline messages", Spec: Spec, Server: "server-bonus3",
		ServerArgs: Bonus3Args,
		Rubric:     Bonus3,
	},
}

// task1Ready is the line a task 1 server prints once it listens: ours says
// "[SERVER] Server started on ..." and "Waiting for client connection...".
var task1Ready = regexp.MustCompile(`(?i)\b(listening|started|waiting)\b`)

// Bonus3Args are the arguments that keep the offline queue of bonus 3's
// own server in dir, away from the user's own queue (the server keeps it
// under ~/.local/share unless told otherwise with -db).
func Bonus3Args(dir string) []string {
	return []string{"-db", filepath.Join(dir, "classchat-offline.db")}
}
