package tlsconf

import (
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/shared/framing"
)

// recordConn hands out one record at a time, header then body, however
// much is asked for and however much the peer has sent; between records it
// can wait without reading, in the middle of one it says it cannot.
func TestRecordConnStopsAtRecordBoundaries(t *testing.T) {
	server, client := net.Pipe()
	defer server.Close()
	rec1 := []byte{23, 3, 3, 0, 4, 'a', 'b', 'c', 'd'}
	rec2 := []byte{23, 3, 3, 0, 2, 'e', 'f'}
	go func() {
		client.Write(append(append([]byte{}, rec1...), rec2...))
		client.Close()
	}()
	rc := &recordConn{Conn: server}
	buf := make([]byte, 64)
	var reads [][]byte
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			reads = append(reads, bytes.Clone(buf[:n]))
			if len(reads) == 1 {
				assert.ErrorIs(t, rc.WaitRead(), framing.ErrNotIdle, "inside a record")
			}
		}
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	assert.Equal(t, [][]byte{rec1[:5], rec1[5:], rec2[:5], rec2[5:]}, reads)
}

// recordConn gives the plaintext handshake records that open a
// connection in pieces of at most helloPiece bytes, each under a header
// of its own; from the first record of another type on (encrypted, or a
// change of cipher spec) it gives every record whole.
func TestRecordConnSplitsTheOpeningHandshake(t *testing.T) {
	server, client := net.Pipe()
	defer server.Close()
	body := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
	hello := append([]byte{22, 3, 1, 0x02, 0x58}, body(600, 'h')...) // 600 bytes
	ccs := []byte{20, 3, 3, 0, 1, 1}
	sealed := append([]byte{23, 3, 3, 0x02, 0x58}, body(600, 's')...)
	late := append([]byte{22, 3, 3, 0x01, 0x2c}, body(300, 'f')...) // 300 bytes
	go func() {
		for _, r := range [][]byte{hello, ccs, sealed, late} {
			client.Write(r)
		}
		client.Close()
	}()
	rc := &recordConn{Conn: server}
	buf := make([]byte, 1024)
	var got [][]byte
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			got = append(got, bytes.Clone(buf[:n]))
		}
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	want := [][]byte{
		{22, 3, 1, 1, 0}, body(256, 'h'), {22, 3, 1, 1, 0}, body(256, 'h'), {22, 3, 1, 0, 88}, body(88, 'h'),
		ccs[:5], ccs[5:],
		sealed[:5], sealed[5:],
		late[:5], late[5:],
	}
	assert.Equal(t, want, got)
}
