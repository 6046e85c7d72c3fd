package main

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/workflows"
)

// keepRetentionSchedule creates the retention schedule, or brings the one
// there in line with r: when it runs, the period it erases after and its
// policies. Whether it is paused stays as an operator left it. With the
// retention off, the schedule is deleted. Every worker does this at start,
// so all of them should have the same RETENTION_* settings.
func keepRetentionSchedule(ctx context.Context, schedules client.ScheduleClient, r config.Retention) error {
	handle := schedules.GetHandle(ctx, workflows.RetentionScheduleID)
	if !r.On() {
		err := handle.Delete(ctx)
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return nil
		}
		return err
	}
	opts := workflows.RetentionScheduleOptions(r.Period, r.Spec())
	_, err := schedules.Create(ctx, opts)
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return err
	}
	return handle.Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec = &opts.Spec
			s.Action = opts.Action
			s.Policy = &client.SchedulePolicies{Overlap: opts.Overlap, CatchupWindow: opts.CatchupWindow,
				PauseOnFailure: opts.PauseOnFailure}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
}
