package webhook

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode decodes the QualifyLead body Dataverse sends when a seller
// qualifies a lead.
func BenchmarkDecode(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "qualifylead-escaped.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}
