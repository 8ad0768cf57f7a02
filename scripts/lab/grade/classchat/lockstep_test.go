package classchat

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// startLockstepTask3 runs a task 3 server built as the original was: it
// writes to the clients while it holds the registry's lock, with writes
// that block. It is right in every other way; one client that stops
// reading stalls everyone once its buffers are full.
func startLockstepTask3(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		mu      sync.Mutex
		clients = map[int]net.Conn{}
		next    int
		conns   sync.WaitGroup
	)
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range clients {
			c.Close()
		}
		mu.Unlock()
		conns.Wait()
	})
	// Call with mu held.
	broadcast := func(from int, text string) {
		for id, c := range clients {
			if id != from {
				fmt.Fprintln(c, text)
			}
		}
	}
	serve := func(conn net.Conn) {
		defer conns.Done()
		defer conn.Close()
		mu.Lock()
		next++
		id := next
		clients[id] = conn
		fmt.Fprintf(conn, WelcomeFormat+"\n", id)
		broadcast(id, fmt.Sprintf(JoinedFormat, id))
		mu.Unlock()
		lines := bufio.NewScanner(conn)
		for lines.Scan() {
			line := strings.TrimSpace(lines.Text())
			if line == "" {
				continue
			}
			if line == "exit" {
				fmt.Fprintln(conn, Goodbye)
				break
			}
			mu.Lock()
			fmt.Fprintf(conn, AckFormat+"\n", line)
			broadcast(id, fmt.Sprintf(FromFormat, id, line))
			mu.Unlock()
		}
		mu.Lock()
		delete(clients, id)
		broadcast(id, fmt.Sprintf(LeftFormat, id))
		mu.Unlock()
	}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go serve(conn)
		}
	}()
	return l.Addr().String()
}
