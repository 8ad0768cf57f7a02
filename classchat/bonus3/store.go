package bonus3

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // SQLite in pure Go: no cgo, nothing to install

	"chatlab/classchat/bonus1"
	"chatlab/classchat/task4"
)

// Bounds of the offline queue. Each is the default of a server flag.
const (
	// MaxQueued bounds one user's offline queue, in messages
	// (--max-queued). A message that would pass it is refused, and its
	// sender told.
	MaxQueued = 1000
	// MaxQueuedBytes bounds one user's offline queue, in bytes of the
	// held objects (--max-queued-bytes).
	MaxQueuedBytes = 64 << 20
	// MaxStoreMessages bounds every user's offline queues together, in
	// messages (--max-store-messages).
	MaxStoreMessages = 100_000
	// MaxStoreBytes bounds every user's offline queues together, in bytes
	// of the held objects (--max-store-bytes): the database stays near
	// this size.
	MaxStoreBytes = 1 << 30
	// MaxKnown bounds the names the server remembers as having logged in
	// (--max-known-names). A name that logs in once the table is full
	// still chats, but messages are not held for it while it is away.
	MaxKnown = 100_000
)

var (
	// ErrQueueFull is returned when a message does not fit in the
	// recipient's offline queue.
	ErrQueueFull = errors.New("the offline queue is full")
	// ErrStoreFull is returned when a message does not fit in what the
	// server holds for every user together.
	ErrStoreFull = errors.New("the server holds as many offline messages as it may")
	// ErrUnknown is returned for a recipient who never logged in.
	ErrUnknown = errors.New("no user of that name has ever logged in")
	// ErrUnwritable wraps the error of a write to the database that
	// failed (a full disk, a file made read-only).
	ErrUnwritable = errors.New("the server cannot write its offline store")
)

// Limits are the bounds of a store; a zero field takes its default.
type Limits struct {
	UserMessages, UserBytes   int
	StoreMessages, StoreBytes int64
	Known                     int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.UserMessages, MaxQueued)
	def(&l.UserBytes, MaxQueuedBytes)
	def(&l.Known, MaxKnown)
	if l.StoreMessages <= 0 {
		l.StoreMessages = MaxStoreMessages
	}
	if l.StoreBytes <= 0 {
		l.StoreBytes = MaxStoreBytes
	}
	return l
}

// Store is the offline queue, the names known and the groups, on disk in
// an SQLite database. A message enqueued has been committed: a server
// killed right after loses nothing. Recipients and names are keyed by
// task4.FoldName.
type Store struct {
	db     *sql.DB
	path   string
	limits Limits

	mu    sync.Mutex
	count int64 // messages held, every user together
	bytes int64 // their bytes
	known map[string]bool
}

// Item is one held message.
type Item struct {
	ID    int64
	Frame []byte
}

const schema = `
CREATE TABLE IF NOT EXISTS offline (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	recipient TEXT NOT NULL,
	frame     BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS offline_recipient ON offline (recipient, id);
CREATE TABLE IF NOT EXISTS known (name TEXT PRIMARY KEY, first_seen TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups (name TEXT PRIMARY KEY, creator TEXT NOT NULL, members TEXT NOT NULL,
	origin TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`

// Open opens (creating if need be) the store at path. It fails, saying
// why, if the database cannot be created, read or written, or is
// damaged (PRAGMA quick_check): a server must not start on a store that
// would silently lose or never deliver what it holds.
func Open(path string, limits Limits) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("%s: cannot create its directory: %w", path, err)
	}
	// WAL with full sync: a committed transaction survives the process
	// being killed (and a power cut).
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises writes anyway
	s := &Store{db: db, path: path, limits: limits.withDefaults(), known: make(map[string]bool)}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func (s *Store) init() error {
	problems, err := s.check()
	if err != nil {
		return fmt.Errorf("cannot read the database: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("the database is damaged (PRAGMA quick_check: %s); move it aside (or restore a copy) and start again",
			summary(problems, checkLines))
	}
	if _, err := s.db.Exec(schema); err != nil {
		return fmt.Errorf("cannot set up the database: %w", err)
	}
	// A database of an earlier version has groups with no origin: they
	// count for no address.
	var hasOrigin bool
	if err := s.db.QueryRow(`SELECT COUNT(*) > 0 FROM pragma_table_info('groups') WHERE name = 'origin'`).Scan(&hasOrigin); err != nil {
		return fmt.Errorf("cannot read the database: %w", err)
	}
	if !hasOrigin {
		if _, err := s.db.Exec(`ALTER TABLE groups ADD COLUMN origin TEXT NOT NULL DEFAULT ''`); err != nil {
			return fmt.Errorf("cannot write the database: %w", err)
		}
	}
	// A database opened read-only (its file or its directory cannot be
	// written) fails here, not at the first message.
	if _, err := s.db.Exec(`INSERT INTO meta (key, value) VALUES ('opened', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("cannot write the database: %w", err)
	}
	// A recipient of a message held by an earlier version is known.
	if _, err := s.db.Exec(`INSERT OR IGNORE INTO known (name, first_seen)
		SELECT DISTINCT recipient, '' FROM offline`); err != nil {
		return fmt.Errorf("cannot write the database: %w", err)
	}
	if err := s.db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(LENGTH(frame)), 0) FROM offline`).Scan(&s.count, &s.bytes); err != nil {
		return err
	}
	rows, err := s.db.Query(`SELECT name FROM known`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		s.known[name] = true
	}
	return rows.Err()
}

// checkLines is how many of the problems PRAGMA quick_check finds a
// start-up error quotes: a damaged page can make it list hundreds.
const checkLines = 3

// check runs PRAGMA quick_check and returns the problems it found, one
// a line (none: the database is sound).
func (s *Store) check() ([]string, error) {
	rows, err := s.db.Query(`PRAGMA quick_check`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var row string
		if err := rows.Scan(&row); err != nil {
			return nil, err
		}
		if row == "ok" {
			continue
		}
		for line := range strings.SplitSeq(row, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "*** in database") {
				problems = append(problems, line)
			}
		}
	}
	return problems, rows.Err()
}

// summary joins the first n lines, saying how many more there were.
func summary(lines []string, n int) string {
	if len(lines) <= n {
		return strings.Join(lines, "; ")
	}
	return fmt.Sprintf("%s (and %d more)", strings.Join(lines[:n], "; "), len(lines)-n)
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path is where the database is.
func (s *Store) Path() string { return s.path }

// wrote wraps the error of a failed write in ErrUnwritable.
func wrote(err error) error {
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnwritable, err)
	}
	return nil
}

// Know records that name logged in: messages are held for it from now
// on. It reports false if the name could not be recorded (the table of
// names is full, or the database cannot be written).
func (s *Store) Know(name string) (bool, error) {
	key := task4.FoldName(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known[key] {
		return true, nil
	}
	if len(s.known) >= s.limits.Known {
		return false, nil
	}
	_, err := s.db.Exec(`INSERT OR IGNORE INTO known (name, first_seen) VALUES (?, ?)`, key, time.Now().UTC().Format(time.RFC3339))
	if err := wrote(err); err != nil {
		return false, err
	}
	s.known[key] = true
	return true, nil
}

// Known reports whether name has logged in before.
func (s *Store) Known(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.known[task4.FoldName(name)]
}

// Enqueue keeps frame for recipient, after the messages already kept.
// It refuses a recipient who never logged in (ErrUnknown), a message
// over a bound (ErrQueueFull, ErrStoreFull), and fails with
// ErrUnwritable if the database cannot be written (a full disk).
func (s *Store) Enqueue(recipient string, frame []byte) error {
	key := task4.FoldName(recipient)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !s.known[key]:
		return ErrUnknown
	case s.count+1 > s.limits.StoreMessages || s.bytes+int64(len(frame)) > s.limits.StoreBytes:
		return fmt.Errorf("%w (%d messages, %d bytes; at most %d and %d)", ErrStoreFull,
			s.count, s.bytes, s.limits.StoreMessages, s.limits.StoreBytes)
	}
	var count, size int
	if err := s.db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(LENGTH(frame)), 0) FROM offline WHERE recipient = ?`,
		key).Scan(&count, &size); err != nil {
		return err
	}
	if count+1 > s.limits.UserMessages || size+len(frame) > s.limits.UserBytes {
		return fmt.Errorf("%w (%d messages, %d bytes; at most %d and %d)", ErrQueueFull,
			count, size, s.limits.UserMessages, s.limits.UserBytes)
	}
	_, err := s.db.Exec(`INSERT INTO offline (recipient, frame) VALUES (?, ?)`, key, frame)
	if err := wrote(err); err != nil {
		return err
	}
	s.count++
	s.bytes += int64(len(frame))
	return nil
}

// Count returns how many messages are held for recipient.
func (s *Store) Count(recipient string) (int, error) {
	var n int
	err := s.db.QueryRow(`SELECT COUNT(*) FROM offline WHERE recipient = ?`, task4.FoldName(recipient)).Scan(&n)
	return n, err
}

// Page returns recipient's held messages after the one with id after,
// oldest first: at most max of them, and no more bytes than maxBytes
// (but always at least one).
func (s *Store) Page(recipient string, after int64, max, maxBytes int) ([]Item, error) {
	rows, err := s.db.Query(`SELECT id, frame FROM offline WHERE recipient = ? AND id > ? ORDER BY id LIMIT ?`,
		task4.FoldName(recipient), after, max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []Item
	size := 0
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ID, &it.Frame); err != nil {
			return nil, err
		}
		if len(items) > 0 && size+len(it.Frame) > maxBytes {
			break
		}
		size += len(it.Frame)
		items = append(items, it)
	}
	return items, rows.Err()
}

// Pending returns all of recipient's held messages, oldest first.
func (s *Store) Pending(recipient string) ([]Item, error) {
	return s.Page(recipient, 0, s.limits.UserMessages+1, int(^uint(0)>>1))
}

// Delete removes delivered messages, all in one transaction.
func (s *Store) Delete(ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.deleteLocked(ids)
	return wrote(err)
}

func (s *Store) deleteLocked(ids []int64) error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n, size int64
	if err := tx.QueryRow(`SELECT COUNT(*), COALESCE(SUM(LENGTH(frame)), 0) FROM offline WHERE id IN (`+
		placeholders(len(ids))+`)`, args(ids)...).Scan(&n, &size); err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM offline WHERE id IN (`+placeholders(len(ids))+`)`, args(ids)...); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.count -= n
	s.bytes -= size
	return nil
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func args(ids []int64) []any {
	a := make([]any, len(ids))
	for i, id := range ids {
		a[i] = id
	}
	return a
}

// Groups returns every group kept, with its members in the order they
// joined.
func (s *Store) Groups() ([]bonus1.Saved, error) {
	rows, err := s.db.Query(`SELECT name, creator, origin, members FROM groups ORDER BY rowid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bonus1.Saved
	for rows.Next() {
		var g bonus1.Saved
		var members string
		if err := rows.Scan(&g.Name, &g.Creator, &g.Origin, &members); err != nil {
			return nil, err
		}
		g.Members = strings.Split(members, "\n")
		out = append(out, g)
	}
	return out, rows.Err()
}

// SaveGroup keeps a group with its members (names hold no newline), or
// deletes it if it has none.
func (s *Store) SaveGroup(g bonus1.Saved) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if len(g.Members) == 0 {
		_, err = s.db.Exec(`DELETE FROM groups WHERE name = ?`, g.Name)
	} else {
		_, err = s.db.Exec(`INSERT INTO groups (name, creator, origin, members) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET members = excluded.members`, g.Name, g.Creator, g.Origin, strings.Join(g.Members, "\n"))
	}
	return wrote(err)
}
