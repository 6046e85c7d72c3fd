package saleshooks

import (
	"context"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// TemporalClient is the Temporal a Receiver uses: a client, with the
// namespace and data converter it was made with.
type TemporalClient struct {
	client.Client
	Namespace string
	// DataConverter must be the client's; nil means the SDK's default.
	DataConverter converter.DataConverter
	Identity      string
}

// SignalOnce signals the current run of a workflow under a request ID of the
// caller's. Temporal records a signal once per request ID, so the webhooks
// Dataverse sends for one decision (the message's and the record's Update)
// add one event to the request's history, not two. The SDK's SignalWorkflow
// gives every call a new request ID; this sends the same request itself.
func (t TemporalClient) SignalOnce(ctx context.Context, workflowID, signalName, requestID string, arg any) error {
	dc := t.DataConverter
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	input, err := dc.ToPayloads(arg)
	if err != nil {
		return err
	}
	_, err = t.WorkflowService().SignalWorkflowExecution(ctx, &workflowservice.SignalWorkflowExecutionRequest{
		Namespace:         t.Namespace,
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: workflowID},
		SignalName:        signalName,
		Input:             input,
		Identity:          t.Identity,
		RequestId:         requestID,
	})
	return err
}
