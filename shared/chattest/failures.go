package chattest

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

// The fixtures below reproduce, on 127.0.0.1 only, the ways a connection
// fails, so that a client's error handling can be tested without sending
// a packet anywhere else.

// SilentListener returns the address of a listener that accepts
// connections and never says a word: a log-in or a TLS handshake against
// it times out.
func SilentListener(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return l.Addr().String()
}

// FullListener returns the address of a listener whose accept queue is
// full: the kernel drops new connection attempts, so connecting to it
// times out.
func FullListener(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		t.Fatalf("bind: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil { // a backlog of one pending connection
		syscall.Close(fd)
		t.Fatalf("listen: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		t.Fatalf("getsockname: %v", err)
	}
	f := os.NewFile(uintptr(fd), "full-listener")
	t.Cleanup(func() { f.Close() })
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the queue with a connection nobody accepts.
	filler, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("fill the accept queue: %v", err)
	}
	t.Cleanup(func() { filler.Close() })
	return addr
}

// ClosedPort returns an address on 127.0.0.1 where nothing listens:
// connecting to it is refused.
func ClosedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// NXDomainResolver returns a resolver that asks a DNS server on 127.0.0.1
// (started here) which answers every question with "no such name", as a
// real server does for the .invalid top-level domain. Tests resolve host
// names with it instead of the system's resolver, so no query leaves the
// machine.
func NXDomainResolver(t testing.TB) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen udp: %v", err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			resp := append([]byte(nil), buf[:n]...)
			flags := binary.BigEndian.Uint16(resp[2:4])
			flags |= 0x8000        // a response
			flags |= 0x0080        // recursion available
			flags = flags&^0xF | 3 // RCODE 3: NXDOMAIN
			binary.BigEndian.PutUint16(resp[2:4], flags)
			binary.BigEndian.PutUint16(resp[6:8], 0)   // no answers
			binary.BigEndian.PutUint16(resp[8:10], 0)  // no authority
			binary.BigEndian.PutUint16(resp[10:12], 0) // no additional
			pc.WriteTo(resp, from)
		}
	}()
	server := pc.LocalAddr().String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", server)
		},
	}
}
