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
