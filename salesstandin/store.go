package salesstandin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
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

// tables is the whole data set; the snapshot on disk is one JSON document of it.
type tables map[string]map[string]record

// The store's files in its data directory.
const (
	snapshotFile = "sales.json"
	journalFile  = "sales.journal"
)

// errClosed refuses changes once the store is closed: they could no longer be written.
var errClosed = errors.New("sales data is closed")

// store keeps the data in memory and on disk. Every change is in the files before it is
// acknowledged, so the data survives a restart of the stand-in, even when it is killed.
//
// On disk the data is a snapshot, sales.json, and a journal, sales.journal, of the rows changed
// since: each change appends one line per row it touched, with the row as it now is or a deletion
// marker, in a single write. The journal is not synced to the disk: the data survives the process,
// not a crash of the machine. Opening the store replays the journal over the snapshot, writes a new
// snapshot and empties the journal.
type store struct {
	mu       sync.Mutex
	snapshot string   // path of sales.json
	path     string   // path of sales.journal
	journal  *os.File // opened for appending; nil once closed
	size     int64    // bytes of the journal that hold whole changes
	broken   error    // set when a failed write could not be undone; refuses further changes
	data     tables
	buf      bytes.Buffer // the lines of the change being written
	// dropped counts the lines of an incomplete last change that opening found and left out.
	dropped int
}

func openStore(dir string) (*store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	s := &store{snapshot: filepath.Join(dir, snapshotFile), path: filepath.Join(dir, journalFile), data: tables{}}
	b, err := os.ReadFile(s.snapshot)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", s.snapshot, err)
	default:
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&s.data); err != nil {
			return nil, fmt.Errorf("read %s: %w", s.snapshot, err)
		}
	}
	for _, set := range []string{setLeads, setAccounts, setContacts, setOpportunities} {
		if s.data[set] == nil {
			s.data[set] = map[string]record{}
		}
	}
	if err := s.replay(); err != nil {
		return nil, err
	}
	if err := s.writeSnapshot(); err != nil {
		return nil, err
	}
	// The snapshot now holds everything the journal did, so the journal starts empty.
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", s.path, err)
	}
	s.journal = f
	return s, nil
}

// journalEntry is one line of the journal: a row as a change left it, or its deletion. The lines of
// one change but the last have More set, so that a change the process was killed while writing is
// left out whole.
type journalEntry struct {
	Set     string  `json:"set"`
	ID      string  `json:"id"`
	Row     *record `json:"row,omitempty"`
	Deleted bool    `json:"deleted,omitempty"`
	More    bool    `json:"more,omitempty"`
}

// replay applies the journal to the data read from the snapshot. Only the end of the journal may be
// incomplete: a last line without its newline, and the lines of the same change before it, are what
// a write cut short by a kill leaves, and are ignored. Any other damage fails the open.
func (s *store) replay() error {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", s.path, err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var change []journalEntry // the lines read of a change not yet complete
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			s.dropped = len(change)
			if len(line) > 0 {
				s.dropped++
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", s.path, err)
		}
		e, err := s.decodeEntry(line)
		if err != nil {
			return fmt.Errorf("read %s: line %d: %w", s.path, n, err)
		}
		change = append(change, e)
		if e.More {
			continue
		}
		for _, e := range change {
			if e.Deleted {
				delete(s.data[e.Set], e.ID)
			} else {
				s.data[e.Set][e.ID] = *e.Row
			}
		}
		change = change[:0]
	}
}

func (s *store) decodeEntry(line []byte) (journalEntry, error) {
	var e journalEntry
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("not a journal entry: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return e, errors.New("not a journal entry: more than one JSON value")
	}
	switch {
	case s.data[e.Set] == nil:
		return e, fmt.Errorf("unknown entity set %q", e.Set)
	case e.ID == "":
		return e, errors.New("no row id")
	case e.Deleted == (e.Row != nil):
		return e, errors.New("needs either a row or deleted, not both")
	}
	return e, nil
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

// update runs change under the lock and appends the rows it touched to the journal before it
// returns. change reaches the rows only through its transaction, so that every row it changes is
// written. It must check everything before it mutates, so that a rejected change leaves the data as
// it was and writes nothing; should it mutate and then fail all the same, or should the write fail,
// the rows it touched are put back as they were.
func (s *store) update(change func(t *transaction) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.journal == nil:
		return errClosed
	case s.broken != nil:
		return s.broken
	}
	t := &transaction{data: s.data}
	if err := change(t); err != nil {
		t.rollback()
		return err
	}
	if len(t.touched) == 0 {
		return nil
	}
	if err := s.write(t); err != nil {
		t.rollback()
		return err
	}
	return nil
}

// write appends the rows a change touched to the journal in one write.
func (s *store) write(t *transaction) error {
	s.buf.Reset()
	enc := json.NewEncoder(&s.buf)
	for i, k := range t.touched {
		e := journalEntry{Set: k.set, ID: k.id, More: i < len(t.touched)-1}
		if r, ok := s.data[k.set][k.id]; ok {
			e.Row = &r
		} else {
			e.Deleted = true
		}
		if err := enc.Encode(e); err != nil { // Encode ends the line
			return fmt.Errorf("encode sales data: %w", err)
		}
	}
	n, err := s.journal.Write(s.buf.Bytes())
	if err == nil {
		s.size += int64(n)
		return nil
	}
	// Cut off what part of the change was written, so that the next change does not follow a torn
	// line; if that fails too, the journal can take no more.
	if terr := s.journal.Truncate(s.size); terr != nil {
		s.broken = fmt.Errorf("write %s: %w; the journal could not be repaired: %w", s.path, err, terr)
		return s.broken
	}
	return fmt.Errorf("write %s: %w", s.path, err)
}

// close closes the journal; changes after it are refused.
func (s *store) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal == nil {
		return nil
	}
	err := s.journal.Close()
	s.journal = nil
	if err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}

// writeSnapshot writes the whole data set to a temporary file, syncs it and renames it over
// sales.json, so that a crash never leaves half a file behind.
func (s *store) writeSnapshot() error {
	b, err := json.MarshalIndent(s.data, "", "  ")
	if err != nil {
		return fmt.Errorf("encode sales data: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.snapshot), ".sales-*.json")
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
	if err := os.Rename(tmp.Name(), s.snapshot); err != nil {
		return fmt.Errorf("save sales data: %w", err)
	}
	return nil
}

// transaction is a change's access to the data. Every row it can change is marked touched, and the
// store writes the touched rows when the change succeeds.
type transaction struct {
	data    tables
	touched []rowKey
	before  map[rowKey]record // each touched row as it was before the change; nil if there was none
}

type rowKey struct{ set, id string }

// has reports whether a row exists.
func (t *transaction) has(set, id string) bool {
	_, ok := t.data[set][id]
	return ok
}

// row returns a row to read and change in place, and marks it touched.
func (t *transaction) row(set, id string) (record, bool) {
	r, ok := t.data[set][id]
	if ok {
		t.touch(set, id)
	}
	return r, ok
}

// put stores a row, new or replacing one.
func (t *transaction) put(set, id string, r record) {
	t.touch(set, id)
	t.data[set][id] = r
}

// remove deletes a row, if there is one.
func (t *transaction) remove(set, id string) {
	if t.has(set, id) {
		t.touch(set, id)
		delete(t.data[set], id)
	}
}

// ids returns the sorted IDs of the rows of a set that match keep, which must not change them.
func (t *transaction) ids(set string, keep func(record) bool) []string {
	var ids []string
	for id, r := range t.data[set] {
		if keep(r) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (t *transaction) touch(set, id string) {
	k := rowKey{set, id}
	if _, seen := t.before[k]; seen {
		return
	}
	if t.before == nil {
		t.before = map[rowKey]record{}
	}
	var pre record
	if r, ok := t.data[set][id]; ok {
		pre = r.clone()
	}
	t.before[k] = pre
	t.touched = append(t.touched, k)
}

// rollback puts the touched rows back as they were.
func (t *transaction) rollback() {
	for k, pre := range t.before {
		if pre == nil {
			delete(t.data[k.set], k.id)
		} else {
			t.data[k.set][k.id] = pre
		}
	}
}
