// Package task3 is ClassChat's third task: one server, many clients, a
// goroutine for each, and a registry of the clients behind a lock. Every
// client gets an id; arrivals and departures are announced to the others;
// a line from one client is acknowledged to it and broadcast to the
// others; exit is answered with goodbye.
//
// The registry's lock guards only the registry: a broadcast copies the
// list of recipients under the lock and sends after releasing it, through
// each client's outbox (chatlab/shared/outbox), which never blocks. One
// slow client can therefore never stall the others, as it could in the
// original, which sent while holding the lock.
package task3

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"

	"chatlab/classchat/internal/cc"
	"chatlab/shared/framing"
	"chatlab/shared/outbox"
	"chatlab/shared/server"
)

// Texts the server sends, as the original's.
const (
	WelcomeFormat = "Welcome to ClassChat! You are Client %d. Type 'exit' to quit."
	JoinedFormat  = "[SYSTEM] Client %d has joined the chat"
	LeftFormat    = "[SYSTEM] Client %d has left the chat"
	AckFormat     = "[Server received] %s"
	FromFormat    = "[Client %d] %s"
	Goodbye       = "Goodbye! Disconnecting..."
	ShuttingDown  = "Server is shutting down."
)

// Registry is the set of connected clients.
type Registry struct {
	log    *slog.Logger
	limits cc.Limits

	mu      sync.Mutex
	nextID  int
	clients map[int]*outbox.Outbox
	closing bool
}

// New returns a server running a new registry.
func New(log *slog.Logger) *server.Server {
	srv, _ := NewRegistry(log)
	return srv
}

// NewRegistry returns a server and the registry it runs.
func NewRegistry(log *slog.Logger) (*server.Server, *Registry) {
	r := &Registry{log: log, clients: make(map[int]*outbox.Outbox)}
	srv := server.New(r, log)
	srv.RegisterOnShutdown(r.shutdown)
	return srv, r
}

// SetLimits sets the limits the server's flags chose (cc.Serve calls it);
// zero fields keep their defaults. Call it before serving. A line fits in
// what a reader holds anyway: task 3 has no read budget.
func (r *Registry) SetLimits(l cc.Limits) { r.limits = l }

// others returns the outboxes of every client but id: copied under the
// lock, used after it.
func (r *Registry) others(id int) []*outbox.Outbox {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*outbox.Outbox, 0, len(r.clients))
	for cid, o := range r.clients {
		if cid != id {
			out = append(out, o)
		}
	}
	return out
}

func (r *Registry) broadcast(from int, text string) {
	frame := []byte(text + "\n")
	for _, o := range r.others(from) {
		o.Send(frame)
	}
}

func (r *Registry) shutdown() {
	r.mu.Lock()
	r.closing = true
	all := make([]*outbox.Outbox, 0, len(r.clients))
	for _, o := range r.clients {
		all = append(all, o)
	}
	r.mu.Unlock()
	for _, o := range all {
		o.Send([]byte(ShuttingDown + "\n"))
		o.CloseAfterFlush()
	}
}

// ServeConn runs one client's session; it implements server.Handler.
func (r *Registry) ServeConn(ctx context.Context, conn net.Conn) {
	out := outbox.New(conn, outbox.Config{})
	refuse := func() {
		out.Send([]byte(ShuttingDown + "\n"))
		out.CloseAfterFlush()
		<-out.Done()
	}
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		refuse()
		return
	}
	r.nextID++
	id := r.nextID
	r.mu.Unlock()
	// The welcome is the client's first line: it is queued before the
	// client is in the registry, where others' notices can reach it.
	out.Send(fmt.Appendf(nil, WelcomeFormat+"\n", id))
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		refuse()
		return
	}
	r.clients[id] = out
	r.mu.Unlock()

	log := r.log.With("client", id, "remote", conn.RemoteAddr().String())
	log.Info("connected")
	r.broadcast(id, fmt.Sprintf(JoinedFormat, id))

	reason := r.session(ctx, id, conn, out)

	r.mu.Lock()
	delete(r.clients, id)
	r.mu.Unlock()
	r.broadcast(id, fmt.Sprintf(LeftFormat, id))
	out.CloseAfterFlush()
	<-out.Done()
	if err := out.Err(); err != nil {
		reason = err
	}
	log.Info("disconnected", "reason", reason)
}

// session handles one client's lines until it leaves, and says why. A
// line begun must be finished in time; each is handled once the connection's flow control allows, so that a
// client sending flat out is slowed down (TCP holds it back) and the
// others are sent no more than they can read.
func (r *Registry) session(ctx context.Context, id int, conn net.Conn, out *outbox.Outbox) error {
	in := r.limits.Reader(conn, nil)
	defer in.Release()
	lines := framing.NewLineReader(in, cc.MaxLine)
	bucket := r.limits.Bucket(cc.DefaultFlow)
	for {
		raw, err := lines.ReadLine()
		switch {
		case errors.Is(err, framing.ErrLineTooLong):
			out.Send(fmt.Appendf(nil, "[SYSTEM] A line is at most %d bytes; disconnecting.\n", cc.MaxLine))
			return err
		case errors.Is(err, framing.ErrFrameTimeout):
			out.Send([]byte("[SYSTEM] A line was begun but not finished in time; disconnecting.\n"))
			return err
		case err != nil:
			return cc.Why(err)
		}
		if bucket.Wait(ctx, len(raw)+1) != nil {
			return errors.New("server shutting down")
		}
		line := strings.TrimSpace(string(raw))
		if line == "" {
			continue
		}
		if cc.IsExit(line) {
			out.Send([]byte(Goodbye + "\n"))
			return errors.New("exit")
		}
		r.log.Debug("line", "client", id, "text", line)
		out.Send(fmt.Appendf(nil, AckFormat+"\n", line))
		r.broadcast(id, fmt.Sprintf(FromFormat, id, line))
	}
}
