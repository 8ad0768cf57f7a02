package loadgen

import "time"

// A load message's text carries who sent it, its number and when, in
// fixed-width hexadecimal, so a receiver reads it back without allocating:
//
//	#PPPPSSSSSSSSSSTTTTTTTTTTTTTTTT....
//
// P the publisher, S the sequence number (from 1), T the send time in
// nanoseconds on the generator's monotonic clock; dots pad the text to
// its size. Receivers ignore any text that does not parse.
const (
	textMark   = '#'
	pubDigits  = 4
	seqDigits  = 10
	timeDigits = 16
	// MinTextBytes is the smallest text a load message can have.
	MinTextBytes = 1 + pubDigits + seqDigits + timeDigits
)

// epoch is the origin of the generator's clock. Every time the generator
// measures is a difference of two readings of one monotonic clock in one
// process.
var epoch = time.Now()

// now is the generator's clock: nanoseconds since epoch.
func now() int64 { return int64(time.Since(epoch)) }

// appendText appends the text of a load message of size bytes.
func appendText(dst []byte, pub int, seq uint64, sent int64, size int) []byte {
	start := len(dst)
	dst = append(dst, textMark)
	dst = appendHex(dst, uint64(pub), pubDigits)
	dst = appendHex(dst, seq, seqDigits)
	dst = appendHex(dst, uint64(sent), timeDigits)
	for len(dst)-start < size {
		dst = append(dst, '.')
	}
	return dst
}

// parseText reads a load message's text back; ok is false for any other
// text.
func parseText(b []byte) (pub int, seq uint64, sent int64, ok bool) {
	if len(b) < MinTextBytes || b[0] != textMark {
		return 0, 0, 0, false
	}
	p, ok1 := parseHex(b[1 : 1+pubDigits])
	s, ok2 := parseHex(b[1+pubDigits : 1+pubDigits+seqDigits])
	t, ok3 := parseHex(b[1+pubDigits+seqDigits : MinTextBytes])
	return int(p), s, int64(t), ok1 && ok2 && ok3
}

const hexDigits = "0123456789abcdef"

func appendHex(dst []byte, v uint64, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[(v>>(4*uint(i)))&0xF])
	}
	return dst
}

func parseHex(b []byte) (uint64, bool) {
	var v uint64
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}
