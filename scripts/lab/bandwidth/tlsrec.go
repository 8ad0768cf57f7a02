package bandwidth

import (
	"encoding/binary"
	"fmt"
)

// TLS record layer: a 5-byte header (content type, legacy version, length)
// and at most 2^14 bytes of plaintext plus 256 of expansion.
const (
	tlsHeaderSize   = 5
	maxTLSRecordLen = 1<<14 + 256
)

// record is one TLS record's content type and size, header included.
type record struct {
	Type uint8
	Size int
}

// splitRecords cuts a stream of TLS records into records. The stream must
// end at a record's end.
func splitRecords(b []byte) ([]record, error) {
	var recs []record
	for off := 0; off < len(b); {
		if len(b)-off < tlsHeaderSize {
			return nil, fmt.Errorf("%w: %d bytes left at offset %d, less than a record header", ErrTLSRecords, len(b)-off, off)
		}
		typ, major := b[off], b[off+1]
		n := int(binary.BigEndian.Uint16(b[off+3:]))
		if typ < 20 || typ > 23 || major != 3 || n > maxTLSRecordLen {
			return nil, fmt.Errorf("%w: no TLS record header at offset %d (% x)", ErrTLSRecords, off, b[off:off+tlsHeaderSize])
		}
		if len(b)-off < tlsHeaderSize+n {
			return nil, fmt.Errorf("%w: record at offset %d is cut short", ErrTLSRecords, off)
		}
		recs = append(recs, record{Type: typ, Size: tlsHeaderSize + n})
		off += tlsHeaderSize + n
	}
	return recs, nil
}
