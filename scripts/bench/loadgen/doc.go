// Package loadgen is ChatLab's load generator: it runs a stage's server
// binary in a process of its own and measures it from this one, over
// 127.0.0.1, with clients that speak the stage's dialect (ChatProto's JSON
// lines or binary frames, with or without TLS, or ClassChat's JSON
// objects).
//
// Scenarios (run.go lists them, and says how a new one plugs in):
//
//   - fan-out: one room of N members, P of them publishing, each limited
//     by a window of messages the server has not yet acknowledged
//     (ROOM_MSG_ACK), at each text size and window of the sweep;
//     delivered messages per second, end-to-end latency (an HDR
//     histogram), messages lost;
//   - latency: the same room paced at each offered load;
//   - scale: C idle clients logged in, reading, in rooms of 100; the
//     server's resident memory and its Go heap and stacks (its memory
//     line, asked for with SIGUSR1) before and after, per connection; and
//     a room beside them;
//   - slow consumer: one member stops reading; the others' latency before
//     and while it does, and when the server cuts it off;
//   - big room: C clients log into general and read; how long until all
//     are in and how many were cut off, then how long one more log-in
//     takes to be answered and a room message to reach everyone.
//
// Every load message carries its publisher, its number and its send time
// (see payload.go), so each receiver finds gaps, order and latency on its
// own; every time is read from one monotonic clock in this process. The
// plain-TCP members of a measured room are read by one goroutine with
// epoll (reactor.go), so that the generator, which shares the machine
// with the server, spends as little of it as it can; TLS members and idle
// clients have a goroutine each.
//
// The stage "lean" (lean.go) is a fan-out loop with no chat logic, the
// machine's practical ceiling: Run always measures it, and every fan-out
// and latency figure is also a ratio to lean's run of the same
// repetition and setting (sweep.go). The fan-out runs, and the latency
// runs at the repeated loads, are made Config.Reps times, the stages'
// order rotated in each repetition; the report gives median, least and
// greatest. The CPU other processes took is recorded for every run
// (background.go), and the targets (targets.go) close the report.
//
// The generator reads /proc and uses epoll: it runs on Linux.
package loadgen
