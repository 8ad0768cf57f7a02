// Package server is the connection lifecycle every stage shares: an accept
// loop that backs off on temporary errors, one goroutine per connection,
// and a graceful shutdown that lets the stage tell every client before the
// connections are closed.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Accept back-off bounds, as in net/http.
const (
	minAcceptBackoff = 5 * time.Millisecond
	maxAcceptBackoff = time.Second
)

// DefaultShutdownGrace is how long RunUntilSignal lets clients drain before
// it closes their connections.
const DefaultShutdownGrace = 5 * time.Second

// Handler serves one connection. ServeConn returns when it is done with
// the connection; the server closes the connection after it returns. ctx
// is cancelled when the server shuts down.
type Handler interface {
	ServeConn(ctx context.Context, conn net.Conn)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, conn net.Conn)

// ServeConn calls f(ctx, conn).
func (f HandlerFunc) ServeConn(ctx context.Context, conn net.Conn) { f(ctx, conn) }

// Server accepts connections and hands each to its Handler.
type Server struct {
	Handler Handler
	Logger  *slog.Logger // nil: slog.Default()

	initOnce sync.Once
	ctx      context.Context
	cancel   context.CancelFunc

	mu         sync.Mutex
	closed     bool
	listeners  map[net.Listener]struct{}
	conns      map[net.Conn]struct{}
	onShutdown []func()
	wg         sync.WaitGroup

	wave wave // returns memory after a wave of connections (wave.go)
}

// New returns a server for h.
func New(h Handler, logger *slog.Logger) *Server {
	return &Server{Handler: h, Logger: logger}
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.listeners = make(map[net.Listener]struct{})
		s.conns = make(map[net.Conn]struct{})
		if s.Logger == nil {
			s.Logger = slog.Default()
		}
		s.wave = wave{min: WaveMin, quiet: WaveQuiet, release: s.returnMemory}
	})
}

// RegisterOnShutdown registers f to be called, in its own goroutine, when
// Shutdown begins: the place for a stage to tell its clients goodbye.
func (s *Server) RegisterOnShutdown(f func()) {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onShutdown = append(s.onShutdown, f)
}

// Serve accepts connections on l until Shutdown, then returns
// ErrServerClosed. Any other error from Accept that is not temporary ends
// Serve with that error. Serve closes l when it returns.
func (s *Server) Serve(l net.Listener) error {
	s.init()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()

	var backoff time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			if s.shuttingDown() {
				return ErrServerClosed
			}
			if isTemporary(err) {
				backoff = min(max(2*backoff, minAcceptBackoff), maxAcceptBackoff)
				s.Logger.Warn("accept failed; retrying", "err", err, "backoff", backoff)
				select {
				case <-time.After(backoff):
				case <-s.ctx.Done():
					return ErrServerClosed
				}
				continue
			}
			return err
		}
		backoff = 0
		open, ok := s.track(conn)
		if !ok {
			conn.Close()
			return ErrServerClosed
		}
		s.wave.note(time.Now(), open)
		go s.serveConn(conn)
	}
}

// track counts conn among the open connections, and returns how many are
// open; false if the server is shutting down.
func (s *Server) track(conn net.Conn) (open int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, false
	}
	s.conns[conn] = struct{}{}
	s.wg.Add(1)
	return len(s.conns), true
}

func (s *Server) serveConn(conn net.Conn) {
	defer func() {
		conn.Close()
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		s.wg.Done()
	}()
	s.Handler.ServeConn(s.ctx, conn)
}

func (s *Server) shuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Shutdown stops accepting, runs the shutdown hooks, cancels the handlers'
// context and waits for every handler to return. When ctx ends first it
// closes the remaining connections, waits for their handlers and returns
// ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	hooks := s.onShutdown
	s.mu.Unlock()
	s.wave.stop()

	s.cancel()
	for _, f := range hooks {
		go f()
	}

	finished := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	<-finished
	return ctx.Err()
}

// isTemporary reports whether an Accept error is worth retrying: running
// out of file descriptors or a connection aborted before it was accepted.
func isTemporary(err error) bool {
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.ENOBUFS) ||
		errors.Is(err, syscall.ENOMEM) {
		return true
	}
	var te interface{ Temporary() bool }
	return errors.As(err, &te) && te.Temporary()
}

// RunUntilSignal serves on l until SIGINT or SIGTERM (or ctx ends), then
// shuts down gracefully, allowing grace for clients to drain. It returns
// nil after a clean shutdown. Meanwhile, at every SIGUSR1, it logs the
// process's memory (LogMemory): `kill -USR1 PID`.
func RunUntilSignal(ctx context.Context, s *Server, l net.Listener, grace time.Duration) error {
	s.init()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ask := make(chan os.Signal, 1)
	if len(memorySignals) > 0 {
		signal.Notify(ask, memorySignals...)
		defer signal.Stop(ask)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	for wait := true; wait; {
		select {
		case err := <-served:
			return err
		case <-ask:
			LogMemory(s.Logger, ReadMemory())
		case <-ctx.Done():
			wait = false
		}
	}
	s.Logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := s.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, ErrServerClosed) {
		return serr
	}
	return err
}
