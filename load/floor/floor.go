// Package floor is the engine's floor for the load command: a bare workflow
// of the product's shape (as many no-op activities, no-op local activities
// and signals as an approved onboarding request has), with its own worker
// in the load command's process and its own task queue on the same
// Temporal server. What the product does beyond this floor is the cost of
// its own work; what the floor costs is Temporal's.
package floor

import (
	"context"
	"fmt"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/partner-onboarding/onboarding/workflows"
)

// Names registered on the floor's worker.
const (
	WorkflowName = "LoadFloor"
	ActivityName = "LoadFloorNoop"
	// SignalName is the one signal the workflow waits for, once per
	// decision of the shape (an approved request: qualified, then won).
	SignalName = "decision"
)

// Phase is the work a request does before its first signal, or between a
// signal and the next.
type Phase struct {
	LocalActivities int
	Activities      int
}

// Phases splits a shape's work between its signals as the onboarding does:
// Signals+1 phases, the work shared out evenly with what remains going to
// the first phases (4 activities and 2 signals: 2, 1, 1 — receipt and lead,
// then the customers' import, then the welcome email), local activities
// first in a phase as the register is written first.
func Phases(s workflows.Shape) []Phase {
	n := max(s.Signals, 0) + 1
	phases := make([]Phase, n)
	for i := range phases {
		phases[i].Activities = share(s.Activities, n, i)
		phases[i].LocalActivities = share(s.LocalActivities, n, i)
	}
	return phases
}

// share is phase i's part of total spread over n phases.
func share(total, n, i int) int {
	if total <= 0 {
		return 0
	}
	part := total / n
	if i < total%n {
		part++
	}
	return part
}

// Worker runs the floor workflow on its own task queue. Its workflow tells
// the driver, in this process, when it waits for a signal, so that the
// driver signals a workflow that is ready as the seller decides on a lead
// that is there, at no cost to the engine (no query, no extra event).
type Worker struct {
	client    client.Client
	taskQueue string
	w         worker.Worker

	mu      sync.Mutex
	waiters map[string]chan int // by workflow ID: the phases done
}

// Start registers the floor workflow and its no-op activities on a worker
// for taskQueue and starts it.
func Start(c client.Client, taskQueue string) (*Worker, error) {
	f := &Worker{client: c, taskQueue: taskQueue, waiters: map[string]chan int{}}
	f.w = worker.New(c, taskQueue, worker.Options{})
	f.w.RegisterWorkflowWithOptions(f.workflow, workflow.RegisterOptions{Name: WorkflowName})
	f.w.RegisterActivityWithOptions(noop, activity.RegisterOptions{Name: ActivityName})
	if err := f.w.Start(); err != nil {
		return nil, fmt.Errorf("start the floor's worker on %s: %w", taskQueue, err)
	}
	return f, nil
}

// Stop stops the floor's worker.
func (f *Worker) Stop() { f.w.Stop() }

// TaskQueue is the floor's own task queue.
func (f *Worker) TaskQueue() string { return f.taskQueue }

// workflow is the bare workflow of the shape: each phase's local
// activities and activities one after another, as the onboarding runs its
// steps, then a wait for the next signal.
func (f *Worker) workflow(ctx workflow.Context, shape workflows.Shape) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	signals := workflow.GetSignalChannel(ctx, SignalName)
	phases := Phases(shape)
	for i, p := range phases {
		if i > 0 {
			var phase int
			signals.Receive(ctx, &phase)
		}
		for range p.LocalActivities {
			if err := workflow.ExecuteLocalActivity(ctx, noop).Get(ctx, nil); err != nil {
				return err
			}
		}
		for range p.Activities {
			if err := workflow.ExecuteActivity(ctx, ActivityName).Get(ctx, nil); err != nil {
				return err
			}
		}
		if i < len(phases)-1 && !workflow.IsReplaying(ctx) {
			// A non-blocking send to the driver in this process: no
			// command, and nothing on replay.
			f.ready(workflow.GetInfo(ctx).WorkflowExecution.ID, i) //workflowcheck:ignore
		}
	}
	return nil
}

// ready tells the driver that the workflow finished phase i and waits for
// its next signal. A replay (after the worker's cache dropped the
// workflow) tells nothing again.
func (f *Worker) ready(workflowID string, phase int) {
	f.mu.Lock()
	ch := f.waiters[workflowID]
	f.mu.Unlock()
	if ch != nil {
		select {
		case ch <- phase:
		default:
		}
	}
}

// noop is every activity and local activity of the floor: the engine's
// round trip with no work in it.
func noop(context.Context) error { return nil }

// Sample is one floor workflow, from the start call to its result.
type Sample struct {
	WorkflowID string
	Began      time.Time
	Took       time.Duration // start called until the result came back
	Err        error
}

// Result is one floor run.
type Result struct {
	Samples []Sample
	Began   time.Time
	Wall    time.Duration
}

// Completed counts the workflows that ended without an error.
func (r Result) Completed() int {
	n := 0
	for _, s := range r.Samples {
		if s.Err == nil {
			n++
		}
	}
	return n
}

// Run starts n floor workflows of the shape, c at a time, each ID beginning
// with idPrefix, drives each through its signals as soon as it waits for
// one, and waits for its result.
func (f *Worker) Run(ctx context.Context, shape workflows.Shape, n, c int, idPrefix string) Result {
	samples := make([]Sample, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	began := time.Now()
	for range c {
		wg.Go(func() {
			for i := range jobs {
				samples[i] = f.one(ctx, shape, fmt.Sprintf("%s-%d", idPrefix, i))
			}
		})
	}
	for i := range n {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	wall := time.Since(began)
	for i := range samples {
		if samples[i].WorkflowID == "" { // never started: the run was cut short
			samples[i] = Sample{Err: ctx.Err()}
		}
	}
	return Result{Samples: samples, Began: began, Wall: wall}
}

// stepLimit bounds each wait of one workflow, so that a stuck one fails
// its sample instead of the run.
const stepLimit = 3 * time.Minute

func (f *Worker) one(ctx context.Context, shape workflows.Shape, id string) Sample {
	s := Sample{WorkflowID: id, Began: time.Now()}
	ctx, cancel := context.WithTimeout(ctx, stepLimit)
	defer cancel()
	readyCh := make(chan int, shape.Signals+1)
	f.mu.Lock()
	f.waiters[id] = readyCh
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.waiters, id)
		f.mu.Unlock()
	}()

	run, err := f.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                f.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, WorkflowName, shape)
	if err != nil {
		s.Err = fmt.Errorf("start %s: %w", id, err)
		return s
	}
	for signal := range shape.Signals {
		select {
		case <-readyCh:
		case <-ctx.Done():
			s.Err = fmt.Errorf("%s: wait to be ready for signal %d: %w", id, signal+1, ctx.Err())
			return s
		}
		if err := f.client.SignalWorkflow(ctx, id, run.GetRunID(), SignalName, signal+1); err != nil {
			s.Err = fmt.Errorf("%s: signal %d: %w", id, signal+1, err)
			return s
		}
	}
	if err := run.Get(ctx, nil); err != nil {
		s.Err = fmt.Errorf("%s: result: %w", id, err)
		return s
	}
	s.Took = time.Since(s.Began)
	return s
}
