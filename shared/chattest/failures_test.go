package chattest

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestFailureFixtures(t *testing.T) {
	t.Run("closed port refuses", func(t *testing.T) {
		_, err := net.Dial("tcp", ClosedPort(t))
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial: %v, want connection refused", err)
		}
	})
	t.Run("full listener times out", func(t *testing.T) {
		_, err := net.DialTimeout("tcp", FullListener(t), 200*time.Millisecond)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("dial: %v, want a time-out", err)
		}
	})
	t.Run("silent listener says nothing", func(t *testing.T) {
		c, err := net.Dial("tcp", SilentListener(t))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		_, err = c.Read(make([]byte, 1))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("read: %v, want a time-out", err)
		}
	})
	t.Run("resolver finds no such host", func(t *testing.T) {
		_, err := NXDomainResolver(t).LookupHost(t.Context(), "chat.example.invalid")
		var de *net.DNSError
		if !errors.As(err, &de) || !de.IsNotFound {
			t.Fatalf("lookup: %v, want a DNS not-found error", err)
		}
	})
}
