package bonus3

// SetReadOnly makes every later write to the store fail, as on a disk
// that is full or was remounted read-only (SQLite's query_only).
func (s *Store) SetReadOnly(on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	_, err := s.db.Exec("PRAGMA query_only = " + v)
	return err
}
