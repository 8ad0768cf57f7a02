package bonus2_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/bonus2"
	"chatlab/classchat/task4"
)

// Test: a 300-character file name (515 bytes of UTF-8, more than Linux
// allows in a name) sent by a raw client reaches the receiver shortened to
// bonus2.MaxFileNameBytes, its extension kept, and our client saves the
// file byte for byte, twice (the second time as name_1.pdf).
func TestLongFileNameIsShortened(t *testing.T) {
	addr := start(t)
	alice := login(t, addr, "alice")
	_, bobScreen, bobDir := client(t, addr, "bob")
	alice.Next()
	alice.Next()

	long := strings.Repeat("ab", 40) + "a" + strings.Repeat("é", 215) + ".pdf"
	require.Equal(t, 300, utf8.RuneCountInString(long))
	short := bonus2.ShortenFileName(long)
	assert.Len(t, short, bonus2.MaxFileNameBytes-1, "cut before the é that does not fit whole")
	assert.True(t, utf8.ValidString(short))
	assert.True(t, strings.HasSuffix(short, ".pdf"))
	assert.True(t, strings.HasPrefix(long, strings.TrimSuffix(short, ".pdf")))

	data := randomBytes(t, 1000)
	for i, saved := range []string{short, strings.TrimSuffix(short, ".pdf") + "_1.pdf"} {
		alice.Write(fileRequest(t, "bob", long, data, bonus2.Checksum(data)))
		assert.Equal(t, task4.Notice(task4.StatusSuccess, "File '%s' sent to bob", short), alice.Next(), "send %d", i+1)
		want := filepath.Join(bobDir, saved)
		bobScreen.WaitLine(t, "[FILE SAVED] "+want)
		got, err := os.ReadFile(want)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, got), "the saved file is the file sent")
	}
}

// Test: our client shortens a long name itself, should a server forward
// one unshortened.
func TestSaveShortensLongNames(t *testing.T) {
	d := bonus2.Downloads{Dir: t.TempDir()}
	data := []byte("report")
	long := strings.Repeat("x", 300) + ".txt"
	p, err := d.Save(bonus2.FileTransfer{Sender: "alice", Filename: long, Checksum: bonus2.Checksum(data),
		Data: base64.StdEncoding.EncodeToString(data)})
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("x", bonus2.MaxFileNameBytes-len(".txt"))+".txt", filepath.Base(p))
}

func TestShortenFileName(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"short enough", "notes.pdf", "notes.pdf"},
		{"exactly the limit", strings.Repeat("a", 96) + ".pdf", strings.Repeat("a", 96) + ".pdf"},
		{"extension kept", strings.Repeat("a", 200) + ".tar.gz", strings.Repeat("a", 97) + ".gz"},
		{"cut at a character", strings.Repeat("€", 50), strings.Repeat("€", 33)},
		{"a long extension is cut with the rest", "a." + strings.Repeat("b", 200), "a." + strings.Repeat("b", 98)},
		{"no extension", strings.Repeat("z", 101), strings.Repeat("z", 100)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := bonus2.ShortenFileName(tt.in)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, len(got), bonus2.MaxFileNameBytes)
		})
	}
}

// Test: a file name with a right-to-left override (`invoice‮txt.exe`
// shows as `invoiceexe.txt`) is refused with a clear error, which our
// client shows cleaned; nothing reaches the receiver.
func TestInvisibleFileNameIsRefused(t *testing.T) {
	addr := start(t)
	alice := login(t, addr, "alice")
	typing, carolScreen, _ := client(t, addr, "carol")
	alice.Next()
	alice.Next()

	data := []byte("MZ")
	for _, name := range []string{"invoice\u202etxt.exe", "a\u200bb.txt", "x\u2066y\u2069.txt"} {
		alice.Write(fileRequest(t, "carol", name, data, bonus2.Checksum(data)))
		assert.Equal(t, task4.Notice(task4.StatusError,
			"Invalid file name '%s': a file name cannot contain invisible or control characters", name), alice.Next())
	}

	// Our client sends one: its user sees the server's answer, cleaned.
	path := filepath.Join(t.TempDir(), "invoice\u202etxt.exe")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	_, err := io.WriteString(typing, "/sendfile alice "+path+"\n")
	require.NoError(t, err)
	carolScreen.WaitLine(t, "[ERROR] Invalid file name 'invoice\uFFFDtxt.exe': a file name cannot contain invisible or control characters")
	assert.NotContains(t, carolScreen.String(), "\u202e")

	// alice got no file: her next object is the next one sent.
	_, err = io.WriteString(typing, "@alice after\n")
	require.NoError(t, err)
	assert.Equal(t, "after", alice.Next().Text)
}
