package stack

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestPayloadKeysMadeOnceAndKept: the local stack's key is made at the
// first start and read again at the next, so its histories stay readable.
func TestPayloadKeysMadeOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	first, err := ensurePayloadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, payloadKeysFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	again, err := ensurePayloadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 1 || again[0].ID != first[0].ID || !bytes.Equal(again[0].Secret, first[0].Secret) {
		t.Error("the second start made another key")
	}
	if err := os.WriteFile(filepath.Join(dir, payloadKeysFile), []byte("broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ensurePayloadKeys(dir); err == nil {
		t.Error("a broken key file was replaced or accepted")
	}
}
