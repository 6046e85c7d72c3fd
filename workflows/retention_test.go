package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// erasureFake stands in for the erasure activity: it answers each batch with
// the next of its counts, or a full batch once they run out.
type erasureFake struct {
	mu      sync.Mutex
	counts  []int
	failing int // batches that fail before the counts are answered
	batches []ErasureBatch
}

func (f *erasureFake) ErasePersonalData(_ context.Context, b ErasureBatch) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing > 0 {
		f.failing--
		return 0, errors.New("commerce: database is locked")
	}
	f.batches = append(f.batches, b)
	if len(f.counts) == 0 {
		return b.Limit, nil
	}
	n := f.counts[0]
	f.counts = f.counts[1:]
	return n, nil
}

func newErasureEnvironment(f *erasureFake) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(ErasePersonalDataWorkflow, workflow.RegisterOptions{Name: ErasePersonalDataWorkflowName})
	env.RegisterActivityWithOptions(f.ErasePersonalData, activity.RegisterOptions{Name: ActivityErasePersonalData})
	return env
}

func TestErasureRunsBatchesUntilNoneIsFull(t *testing.T) {
	f := &erasureFake{counts: []int{3, 3, 1}, failing: 1}
	env := newErasureEnvironment(f)
	start := env.Now()
	env.ExecuteWorkflow(ErasePersonalDataWorkflowName, Retention{Period: DefaultRetentionPeriod, BatchSize: 3})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	var erased int
	if err := env.GetWorkflowResult(&erased); err != nil {
		t.Fatal(err)
	}
	if erased != 7 {
		t.Errorf("erased %d, want 7", erased)
	}
	if len(f.batches) != 3 {
		t.Fatalf("%d batches, want 3 (the last one not full)", len(f.batches))
	}
	for _, b := range f.batches {
		if want := start.Add(-DefaultRetentionPeriod); !b.Before.Equal(want) || b.Limit != 3 {
			t.Errorf("batch %+v, want up to 3 requests rejected before %v", b, want)
		}
	}
}

func TestErasureOfNothingIsOneBatch(t *testing.T) {
	f := &erasureFake{counts: []int{0}}
	env := newErasureEnvironment(f)
	env.ExecuteWorkflow(ErasePersonalDataWorkflowName, Retention{Period: time.Hour})
	var erased int
	if err := env.GetWorkflowResult(&erased); err != nil || erased != 0 {
		t.Fatalf("erased %d, %v; want none", erased, err)
	}
	if len(f.batches) != 1 || f.batches[0].Limit != DefaultErasureBatch {
		t.Errorf("batches %+v, want one of the default size", f.batches)
	}
}

// A long backlog continues as new with the same cut-off, so that the runs
// finish the work the first one found, and with the count so far.
func TestErasureContinuesAsNewWithItsCutOff(t *testing.T) {
	f := &erasureFake{}
	env := newErasureEnvironment(f)
	start := env.Now()
	env.ExecuteWorkflow(ErasePersonalDataWorkflowName, Retention{Period: time.Hour, BatchSize: 10})
	var cont *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &cont) {
		t.Fatalf("workflow ended with %v, want it to continue as new", err)
	}
	if len(f.batches) != erasureBatchesPerRun {
		t.Errorf("%d batches in the run, want %d", len(f.batches), erasureBatchesPerRun)
	}
	var next Retention
	if err := converter.GetDefaultDataConverter().FromPayloads(cont.Input, &next); err != nil {
		t.Fatal(err)
	}
	want := Retention{Period: time.Hour, BatchSize: 10, Before: start.Add(-time.Hour), Erased: 10 * erasureBatchesPerRun}
	if next.Period != want.Period || next.BatchSize != want.BatchSize || !next.Before.Equal(want.Before) || next.Erased != want.Erased {
		t.Errorf("continues as %+v, want %+v", next, want)
	}

	// The next run keeps the cut-off, however late it starts.
	f = &erasureFake{counts: []int{4}}
	env = newErasureEnvironment(f)
	env.ExecuteWorkflow(ErasePersonalDataWorkflowName, next)
	var erased int
	if err := env.GetWorkflowResult(&erased); err != nil {
		t.Fatal(err)
	}
	if erased != want.Erased+4 || len(f.batches) != 1 || !f.batches[0].Before.Equal(want.Before) {
		t.Errorf("erased %d in batches %+v, want %d before %v", erased, f.batches, want.Erased+4, want.Before)
	}
}

func TestErasureNeedsAPeriod(t *testing.T) {
	env := newErasureEnvironment(&erasureFake{})
	env.ExecuteWorkflow(ErasePersonalDataWorkflowName, Retention{})
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || !appErr.NonRetryable() {
		t.Errorf("no period: %v, want a non-retryable error", err)
	}
}
