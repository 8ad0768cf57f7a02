package bonus3_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/bonus2"
	"chatlab/classchat/bonus3"
	"chatlab/classchat/task4"
)

// smallDisk mounts a tmpfs of size bytes for the test and returns its
// folder, or skips the test where mounting is not allowed (not root, or
// a container without the right): TestStoreUnwritableAtRunTime covers
// an unwritable store there.
func smallDisk(t *testing.T, size string) string {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("no small disk to fill (mount: %v: %s); an unwritable store is tested without one", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes to a file in dir until the disk is full, and returns the
// file, to remove when the test frees the disk.
func fill(t *testing.T, dir string) string {
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	block := make([]byte, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			require.True(t, errors.Is(err, syscall.ENOSPC), "filling the disk: %v", err)
			return path
		}
	}
}

// The attack of a full disk (finding 6): a message that cannot be kept
// is refused to its sender with the reason, not confirmed; nothing else
// is disturbed (live messages go on); and once there is room again,
// messages are kept as before.
func TestFullDisk(t *testing.T) {
	dir := smallDisk(t, "4m")
	s, addr := startOn(t, filepath.Join(dir, "q.db"), bonus3.Limits{})
	_, err := s.Know("bob")
	require.NoError(t, err)
	alice, _ := login(t, addr, "alice")
	carol, _ := login(t, addr, "carol")
	filler := fill(t, dir)

	// A file bigger than any room the store's files have left.
	data := []byte(strings.Repeat("x", 1<<20))
	req, _ := json.Marshal(bonus2.FileRequest{Type: "file", Receiver: "bob", FileData: bonus2.FileData{
		Filename: "big.txt", Filesize: int64(len(data)), Checksum: bonus2.Checksum(data), Data: b64(data)}})
	alice.Write(string(req))
	got := nextNot(alice, task4.StatusUserList, task4.StatusSystem)
	assert.Equal(t, task4.StatusError, got.Status)
	assert.Contains(t, got.Message, "File 'big.txt' not queued for bob: the server cannot write its offline store: ")

	alice.Write(`{"type": "message", "receiver": "carol", "text": "still here?"}`)
	assert.Equal(t, "still here?", nextNot(carol, task4.StatusUserList, task4.StatusSystem).Text, "live messages go on")
	assert.Equal(t, task4.StatusSent, nextNot(alice, task4.StatusUserList, task4.StatusSystem).Status)

	require.NoError(t, os.Remove(filler))
	alice.Write(string(req))
	got = nextNot(alice, task4.StatusUserList, task4.StatusSystem)
	assert.Equal(t, "File 'big.txt' queued for bob (offline)", got.Message, "kept once there is room")
	n, err := s.Count("bob")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// nextNot returns p's next reply whose status is none of skip.
func nextNot(p interface{ Next() task4.Reply }, skip ...string) task4.Reply {
	for {
		r := p.Next()
		skipped := false
		for _, s := range skip {
			skipped = skipped || r.Status == s
		}
		if !skipped {
			return r
		}
	}
}
