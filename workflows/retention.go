package workflows

import (
	"cmp"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ErasePersonalDataWorkflowName is the registered name of the workflow that
// erases the personal data of requests rejected longer ago than the
// retention period. The retention schedule starts it, daily by default.
const ErasePersonalDataWorkflowName = "ErasePersonalData"

// ActivityErasePersonalData erases one batch; its input is an ErasureBatch,
// its result how many requests it erased.
const ActivityErasePersonalData = "ErasePersonalData"

// RetentionScheduleID is the ID of the Temporal Schedule that starts
// ErasePersonalData; each workflow it starts has this ID and the time.
const RetentionScheduleID = "onboarding-retention"

// Defaults of the retention.
const (
	// DefaultRetentionPeriod is how long a rejected request keeps its
	// personal data: long enough to answer the requester or a seller about
	// the decision.
	DefaultRetentionPeriod = 90 * 24 * time.Hour
	// DefaultErasureBatch is how many requests one transaction erases.
	DefaultErasureBatch = 500
	// erasureBatchesPerRun bounds a run's history (about six events a
	// batch): a larger backlog continues as new.
	erasureBatchesPerRun = 100
)

// Retention is the input of ErasePersonalData.
type Retention struct {
	// Period: requests rejected longer ago than this lose their personal data.
	Period time.Duration `json:"period"`
	// BatchSize is how many requests one activity erases (default 500).
	BatchSize int `json:"batchSize,omitempty"`
	// Before is set by the first run to its start less Period and carried
	// to the runs it continues as, so that they finish the same work.
	Before time.Time `json:"before,omitzero"`
	// Erased counts the requests the earlier runs erased.
	Erased int `json:"erased,omitempty"`
}

// ErasureBatch asks ActivityErasePersonalData to erase up to Limit requests
// rejected before Before.
type ErasureBatch struct {
	Before time.Time `json:"before"`
	Limit  int       `json:"limit"`
}

// ErasePersonalDataWorkflow erases, batch by batch, the personal data of the
// requests rejected before the period, and returns how many it erased.
// Approved partners and requests still running keep theirs; the Commerce
// store decides which requests qualify (ErasePersonalData there).
func ErasePersonalDataWorkflow(ctx workflow.Context, in Retention) (int, error) {
	if in.Period <= 0 {
		return 0, temporal.NewNonRetryableApplicationError("erase personal data: period must be positive", "InvalidRequest", nil)
	}
	if in.Before.IsZero() {
		in.Before = workflow.Now(ctx).Add(-in.Period)
	}
	batch := ErasureBatch{Before: in.Before, Limit: cmp.Or(max(in.BatchSize, 0), DefaultErasureBatch)}
	opts := activityOptions(ownDatabase, "Erase a batch of personal data")
	opts.StartToCloseTimeout = time.Minute
	actx := workflow.WithActivityOptions(ctx, opts)
	logger := workflow.GetLogger(ctx)
	for batches := 0; ; batches++ {
		if batches == erasureBatchesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			logger.Info("Erasure continues as new", "erased", in.Erased)
			return in.Erased, workflow.NewContinueAsNewError(ctx, ErasePersonalDataWorkflowName, in)
		}
		var n int
		if err := workflow.ExecuteActivity(actx, ActivityErasePersonalData, batch).Get(ctx, &n); err != nil {
			return in.Erased, err
		}
		in.Erased += n
		if n < batch.Limit {
			logger.Info("Erasure finished", "requests", in.Erased, "rejectedBefore", in.Before)
			return in.Erased, nil
		}
	}
}

// RetentionScheduleOptions are the options of the retention schedule: it
// starts ErasePersonalData at the times of spec, never beside a run that
// has not finished, and makes up for a time missed while Temporal was down
// within a day; a run missed longer ago is left to the next one.
func RetentionScheduleOptions(period time.Duration, spec client.ScheduleSpec) client.ScheduleOptions {
	return client.ScheduleOptions{
		ID:   RetentionScheduleID,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID:            RetentionScheduleID,
			Workflow:      ErasePersonalDataWorkflowName,
			Args:          []any{Retention{Period: period}},
			TaskQueue:     TaskQueue,
			StaticSummary: "Erase the personal data of requests rejected more than " + days(period) + " ago",
		},
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: 24 * time.Hour,
		Note:          "Erases the personal data of rejected requests (RETENTION_PERIOD, RETENTION_SCHEDULE of the worker)",
	}
}
