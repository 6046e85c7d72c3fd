package salesstandin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
)

// Entity sets the stand-in keeps, named as in Web API URLs.
const (
	setLeads         = "leads"
	setAccounts      = "accounts"
	setContacts      = "contacts"
	setOpportunities = "opportunities"
)

// record is one row as the Web API shows it: column name to JSON value. Rows stay schemaless maps
// because the Web API reads and writes them column by column.
type record map[string]any

func (r record) clone() record {
	c := make(record, len(r))
	for k, v := range r {
		c[k] = v
	}
	return c
}

func (r record) str(column string) string {
	s, _ := r[column].(string)
	return s
}

// int reads a whole-number column whether it was set in memory (int) or loaded from disk (json.Number).
func (r record) int(column string) (int, bool) {
	return asInt(r[column])
}

func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		if n == math.Trunc(n) {
			return int(n), true
		}
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

// tables is the whole data set, written to disk as one JSON document.
type tables map[string]map[string]record

// store keeps the data in memory and on disk. Every change is written before it is acknowledged, so
// the data survives a restart of the stand-in.
type store struct {
	mu   sync.Mutex
	path string
	data tables
}

func openStore(dir string) (*store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	s := &store{path: filepath.Join(dir, "sales.json"), data: tables{}}
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", s.path, err)
	default:
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&s.data); err != nil {
			return nil, fmt.Errorf("read %s: %w", s.path, err)
		}
	}
	for _, set := range []string{setLeads, setAccounts, setContacts, setOpportunities} {
		if s.data[set] == nil {
			s.data[set] = map[string]record{}
		}
	}
	return s, nil
}

// get returns a copy of a row.
func (s *store) get(set, id string) (record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.data[set][id]
	if !ok {
		return nil, false
	}
	return r.clone(), true
}

// list returns copies of the rows of a set that match keep.
func (s *store) list(set string, keep func(record) bool) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []record
	for _, r := range s.data[set] {
		if keep == nil || keep(r) {
			rows = append(rows, r.clone())
		}
	}
	return rows
}

// update runs change under the lock and saves the result. change must check everything before it
// mutates, so that a rejected change leaves the data as it was.
func (s *store) update(change func(t tables) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := change(s.data); err != nil {
		return err
	}
	return s.save()
}

// save writes to a temporary file and renames it, so a crash never leaves half a file behind.
func (s *store) save() error {
	b, err := json.MarshalIndent(s.data, "", "  ")
	if err != nil {
		return fmt.Errorf("encode sales data: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".sales-*.json")
	if err != nil {
		return fmt.Errorf("save sales data: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save sales data: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save sales data: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save sales data: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("save sales data: %w", err)
	}
	return nil
}
