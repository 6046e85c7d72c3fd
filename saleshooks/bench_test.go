package saleshooks_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/partner-onboarding/onboarding/sales/webhook"
	"github.com/partner-onboarding/onboarding/saleshooks"
)

// BenchmarkInterpret decodes and interprets every recorded webhook body, as
// the receiver does for each Sales hook.
func BenchmarkInterpret(b *testing.B) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no webhook bodies in testdata: %v", err)
	}
	bodies := make([][]byte, len(files))
	size := 0
	for i, f := range files {
		if bodies[i], err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
		size += len(bodies[i])
	}
	// Bytes per op are the mean body size, so MB/s compares with other bodies.
	b.SetBytes(int64(size / len(bodies)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c, err := webhook.Decode(bodies[i%len(bodies)])
		if err != nil {
			b.Fatal(err)
		}
		saleshooks.Interpret(c, "")
		i++
	}
}
