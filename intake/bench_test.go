package intake_test

import (
	"testing"

	"github.com/partner-onboarding/onboarding/intake"
)

// BenchmarkValidate validates a complete, valid request, the common case at
// the front door. Validate trims in place, so each run gets a fresh copy.
func BenchmarkValidate(b *testing.B) {
	req := validRequest()
	b.ReportAllocs()
	for b.Loop() {
		r := req
		if errs := intake.Validate(&r); len(errs) != 0 {
			b.Fatalf("valid request refused: %v", errs)
		}
	}
}
