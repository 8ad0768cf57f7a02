package classchat

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"chatlab/lab/grade"
	"chatlab/lab/rubric"
)

// Sizes of the files the checks send.
const (
	MaxFileBytes = 10 << 20               // the limit, on both sides
	bigFile      = MaxFileBytes - 100<<10 // 9.9 MiB: must arrive whole
	tooBigFile   = MaxFileBytes + 100<<10 // 10.1 MiB: must be refused
	hugeMessage  = 48 << 20               // the server must not read all of it
	hugeChunk    = 1 << 20                // the grader writes it a MiB at a time
	smallFile    = 3000                   // bytes
	fileSent     = "File '%s' sent to %s" // to the sender
	fileQueued   = "File '%s' queued for %s (offline)"
)

// Bonus2 is bonus 2's rubric: files. What a client does with a file it
// receives (a safe name, no overwriting, a damaged file not kept) is the
// client's affair; these checks grade what the server must do.
func Bonus2(env grade.Env) rubric.Rubric {
	r := &jsonRun{run: newRun(env), pass: passBonus}
	return rubric.Rubric{Stage: "bonus2", Title: "ClassChat bonus 2: file transfer", Checks: []rubric.Check{
		{Name: "a file reaches its recipient, from its sender, and is confirmed", Rule: "bonus 2; original's bug 1", Points: 3, Run: r.b2Small},
		{Name: "a 9.9 MiB file arrives whole", Rule: "original's bug 4", Points: 3, Run: r.b2Big},
		{Name: "the server refuses a file over 10 MiB with an error", Rule: "original's bug 5", Points: 2, Run: r.b2TooBig},
		{Name: "the server stops reading a message far over the limit", Rule: "original's bug 5", Points: 1, Run: r.b2Huge},
		{Name: "a file for a user not connected gets `User '<r>' is not connected.`", Rule: "bonus 2", Points: 1, Run: r.b2NotConnected},
	}}
}

// fileRequest is a file as the original client sends it.
func fileRequest(sender, receiver, filename string, data []byte) string {
	sum := sha256.Sum256(data)
	fd := py("filename", filename, "filesize", json.RawMessage(strconv.Itoa(len(data))),
		"checksum", hex.EncodeToString(sum[:]),
		"data", json.RawMessage(`"`+base64.StdEncoding.EncodeToString(data)+`"`)) // base64 needs no escapes
	return py("type", "file", "sender", sender, "receiver", receiver, "file_data", json.RawMessage(fd))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// expectFile waits for a file transfer and checks every field of it.
func expectFile(p *jsonPeer, sender, filename string, data []byte) object {
	d := wait
	if len(data) > 1<<20 {
		d = bigWait
	}
	what := quote(fmt.Sprintf(`{"status": "file_transfer", "sender": "%s", "filename": "%s", "filesize": %d, "checksum": "...", "data": "..."}`,
		sender, filename, len(data)))
	o := p.expectWithin(d, what, func(o object) bool { return o.status() == "file_transfer" })
	sum := sha256.Sum256(data)
	size, _ := o.m["filesize"].(float64)
	switch {
	case o.str("sender") != sender:
		p.c.Fatalf("%s got a file from %s, want from %s", p.who, quote(o.str("sender")), quote(sender))
	case o.str("filename") != filename:
		p.c.Fatalf("%s got a file named %s, want %s", p.who, quote(o.str("filename")), quote(filename))
	case int(size) != len(data):
		p.c.Fatalf("%s got a file of filesize %v, want %d", p.who, o.m["filesize"], len(data))
	case !strings.EqualFold(o.str("checksum"), hex.EncodeToString(sum[:])):
		p.c.Fatalf("%s got a file with the checksum %s, want %s", p.who, quote(o.str("checksum")), quote(hex.EncodeToString(sum[:])))
	}
	got, err := base64.StdEncoding.DecodeString(o.str("data"))
	if err != nil || !bytes.Equal(got, data) {
		p.c.Fatalf("%s got the file %s with other bytes than were sent (%d bytes of data, want %d)", p.who, quote(filename), len(got), len(data))
	}
	return o
}

func (r *jsonRun) b2Small(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	_, carol := r.user(c, "carol")
	name := "notes_" + r.token() + ".txt"
	data := randomBytes(smallFile)
	alice.write(fileRequest(carol, b, name, data)) // claiming to be carol
	expectFile(bob, a, name, data)
	alice.expectNotice(done, fmt.Sprintf(fileSent, name, b))
}

func (r *jsonRun) b2Big(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	name := "big_" + r.token() + ".bin"
	data := randomBytes(bigFile)
	alice.writeWithin(fileRequest(a, b, name, data), bigWait)
	expectFile(bob, a, name, data)
	alice.expectNotice(done, fmt.Sprintf(fileSent, name, b))
}

func (r *jsonRun) b2TooBig(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	carol, cn := r.user(c, "carol")
	name := "huge_" + r.token() + ".bin"
	req := fileRequest(a, b, name, randomBytes(tooBigFile))
	// The server may stop reading before the end: the write may fail.
	alice.conn.SetWriteDeadline(deadline(c, bigWait))
	go alice.conn.Write([]byte(req))
	alice.expectWithin(bigWait, `an error (status "error") refusing a file of 10.1 MiB`,
		func(o object) bool { return o.status() == "error" })
	// bob must not have got the file: the next thing for him is carol's.
	text := "after the big file " + r.token()
	carol.write(dm(cn, b, text))
	expectDM(bob, cn, b, text)
}

func (r *jsonRun) b2Huge(c *rubric.C) {
	alice, a := r.user(c, "alice")
	_, b := r.user(c, "bob")
	head := `{"type": "file", "sender": "` + a + `", "receiver": "` + b +
		`", "file_data": {"filename": "endless.bin", "filesize": 50331648, "checksum": "00", "data": "`
	chunk := bytes.Repeat([]byte("A"), hugeChunk)
	wrote := make(chan error, 1)
	alice.conn.SetWriteDeadline(deadline(c, bigWait))
	go func() {
		// Not a check's goroutine: it only reports.
		if _, err := alice.conn.Write([]byte(head)); err != nil {
			wrote <- err
			return
		}
		for range hugeMessage / hugeChunk {
			if _, err := alice.conn.Write(chunk); err != nil {
				wrote <- err
				return
			}
		}
		_, err := alice.conn.Write([]byte(`"}}`))
		wrote <- err
	}()
	// The answer, or the end of the connection, must come while the
	// grader is still writing.
	answered := make(chan string, 1)
	go func() {
		alice.conn.SetReadDeadline(deadline(c, bigWait))
		for {
			o, err := alice.next(bigWait)
			if err != nil {
				answered <- err.Error()
				return
			}
			if o.status() == "error" {
				answered <- "error"
				return
			}
		}
	}()
	readAll := fmt.Sprintf("the server read all %d MiB of one message: it must stop reading at the limit (10 MiB and the JSON around it) and refuse it",
		hugeMessage>>20)
	select {
	case how := <-answered:
		if strings.HasPrefix(how, "nothing more within") {
			c.Fatalf("the server neither refused the %d MiB message nor closed the connection within %v", hugeMessage>>20, bigWait)
		}
		select {
		case err := <-wrote:
			if err == nil {
				c.Fatalf("%s", readAll)
			}
		default: // still writing when the answer came: stopped in time
		}
	case err := <-wrote:
		if err == nil {
			c.Fatalf("%s", readAll)
		}
		// The write failed: the server cut the connection while the
		// grader was writing. That is stopping.
	}
}

func (r *jsonRun) b2NotConnected(c *rubric.C) {
	alice, a := r.user(c, "alice")
	nobody := r.name("nobody")
	alice.write(fileRequest(a, nobody, "notes.txt", randomBytes(smallFile)))
	alice.expectNotice(refused, fmt.Sprintf(NotConnected, nobody))
}
