package mailpittest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBinaryLookup(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, ".tools", "bin", "mailpit")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(root, "mail", "deeper")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(nested)

	t.Setenv("MAILPIT_BIN", "")
	if got, err := Binary(); err != nil || got != bin {
		t.Errorf("walking up: Binary() = %q, %v; want %q", got, err, bin)
	}

	t.Setenv("MAILPIT_BIN", filepath.Join(root, "missing"))
	if _, err := Binary(); err == nil || !strings.Contains(err.Error(), "MAILPIT_BIN") {
		t.Errorf("MAILPIT_BIN pointing nowhere: err = %v, want one naming MAILPIT_BIN", err)
	}
}
