package main

import (
	"errors"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/stack"
	"github.com/partner-onboarding/onboarding/workflows"
)

// TestKeepRetentionSchedule runs against a Temporal dev server: the first
// start creates the schedule, the next ones change nothing or bring it in
// line with their settings and keep an operator's pause, and a start with
// the retention off deletes it.
func TestKeepRetentionSchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal dev server; run without -short")
	}
	ctx := t.Context()
	ports, err := stack.FreePorts()
	if err != nil {
		t.Fatal(err)
	}
	s, err := stack.New(ctx, stack.Options{RepoRoot: "..", DataDir: t.TempDir(), Ports: ports, Headless: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	if err := s.StartTemporal(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := s.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	schedules := c.ScheduleClient()
	handle := schedules.GetHandle(ctx, workflows.RetentionScheduleID)

	daily := config.Retention{Period: 90 * 24 * time.Hour, Every: 24 * time.Hour}
	for range 2 {
		if err := keepRetentionSchedule(ctx, schedules, daily); err != nil {
			t.Fatal(err)
		}
	}
	d, err := handle.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkRetentionSchedule(t, s.DataConverter(), d, daily.Period)
	if iv := d.Schedule.Spec.Intervals; len(iv) != 1 || iv[0].Every != 24*time.Hour {
		t.Errorf("intervals = %+v, want every 24h", iv)
	}

	if err := handle.Pause(ctx, client.SchedulePauseOptions{Note: "paused by ops"}); err != nil {
		t.Fatal(err)
	}
	nightly := config.Retention{Period: 30 * 24 * time.Hour, Cron: "0 3 * * *"}
	if err := keepRetentionSchedule(ctx, schedules, nightly); err != nil {
		t.Fatal(err)
	}
	if d, err = handle.Describe(ctx); err != nil {
		t.Fatal(err)
	}
	checkRetentionSchedule(t, s.DataConverter(), d, nightly.Period)
	if cal := d.Schedule.Spec.Calendars; len(cal) != 1 || len(d.Schedule.Spec.Intervals) != 0 {
		t.Errorf("spec = %+v, want the cron expression's calendar only", d.Schedule.Spec)
	}
	if !d.Schedule.State.Paused {
		t.Error("the operator's pause was lifted")
	}

	for range 2 {
		if err := keepRetentionSchedule(ctx, schedules, config.Retention{}); err != nil {
			t.Fatal(err)
		}
	}
	var notFound *serviceerror.NotFound
	if _, err := handle.Describe(ctx); !errors.As(err, &notFound) {
		t.Errorf("with the retention off, describe = %v, want the schedule gone", err)
	}
}

// dc is the client's data converter: the schedule's input is encrypted.
func checkRetentionSchedule(t *testing.T, dc converter.DataConverter, d *client.ScheduleDescription, period time.Duration) {
	t.Helper()
	action, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok {
		t.Fatalf("action = %#v, want a workflow", d.Schedule.Action)
	}
	if action.Workflow != workflows.ErasePersonalDataWorkflowName || action.TaskQueue != workflows.TaskQueue || len(action.Args) != 1 {
		t.Fatalf("action = %+v", action)
	}
	var in workflows.Retention
	if err := dc.FromPayload(action.Args[0].(*commonpb.Payload), &in); err != nil {
		t.Fatal(err)
	}
	if in.Period != period {
		t.Errorf("period = %v, want %v", in.Period, period)
	}
	if p := d.Schedule.Policy; p.Overlap != enums.SCHEDULE_OVERLAP_POLICY_SKIP || p.CatchupWindow != 24*time.Hour {
		t.Errorf("policies = %+v, want skip and a day's catch-up", p)
	}
}
