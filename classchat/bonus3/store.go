package bonus3

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // SQLite in pure Go: no cgo, nothing to install
)

// Bounds of one user's offline queue.
const (
	MaxQueued      = 1000
	MaxQueuedBytes = 64 << 20
)

// ErrQueueFull is returned when a message does not fit in the recipient's
// offline queue.
var ErrQueueFull = errors.New("the offline queue is full")

// Store is the offline queue on disk, in an SQLite database. A message
// enqueued has been committed: a server killed right after loses nothing.
type Store struct {
	db       *sql.DB
	maxCount int
	maxBytes int
}

// Item is one held message.
type Item struct {
	ID    int64
	Frame []byte
}

// Open opens (creating if need be) the store at path, with the given
// bounds per user (zero: MaxQueued, MaxQueuedBytes).
func Open(path string, maxCount, maxBytes int) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	// WAL with full sync: a committed transaction survives the process
	// being killed (and a power cut).
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises writes anyway
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS offline (
		id        INTEGER PRIMARY KEY AUTOINCREMENT,
		recipient TEXT NOT NULL,
		frame     BLOB NOT NULL
	); CREATE INDEX IF NOT EXISTS offline_recipient ON offline (recipient, id);`); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if maxCount == 0 {
		maxCount = MaxQueued
	}
	if maxBytes == 0 {
		maxBytes = MaxQueuedBytes
	}
	return &Store{db: db, maxCount: maxCount, maxBytes: maxBytes}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Enqueue keeps frame for recipient, after the messages already kept, if
// it fits the bounds; else it returns ErrQueueFull.
func (s *Store) Enqueue(recipient string, frame []byte) error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var count, size int
	if err := tx.QueryRow(`SELECT COUNT(*), COALESCE(SUM(LENGTH(frame)), 0) FROM offline WHERE recipient = ?`,
		recipient).Scan(&count, &size); err != nil {
		return err
	}
	if count+1 > s.maxCount || size+len(frame) > s.maxBytes {
		return fmt.Errorf("%w (%d messages, %d bytes; at most %d and %d)", ErrQueueFull, count, size, s.maxCount, s.maxBytes)
	}
	if _, err := tx.Exec(`INSERT INTO offline (recipient, frame) VALUES (?, ?)`, recipient, frame); err != nil {
		return err
	}
	return tx.Commit()
}

// Pending returns recipient's held messages, oldest first.
func (s *Store) Pending(recipient string) ([]Item, error) {
	rows, err := s.db.Query(`SELECT id, frame FROM offline WHERE recipient = ? ORDER BY id`, recipient)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ID, &it.Frame); err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// Delete removes a delivered message.
func (s *Store) Delete(id int64) error {
	_, err := s.db.Exec(`DELETE FROM offline WHERE id = ?`, id)
	return err
}
