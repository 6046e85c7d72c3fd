package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"

	"github.com/partner-onboarding/onboarding/codec"
	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/settings"
	"github.com/partner-onboarding/onboarding/workflows"
)

// showLive prints the request's state as its workflow answers the state
// query: the whole state, with the errors behind any attention, for operators.
func showLive(ctx context.Context, id string) error {
	c, err := dialTemporal(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := c.QueryWorkflow(ctx, workflows.WorkflowID(id), "", workflows.QueryState)
	if err != nil {
		return err
	}
	var st workflows.State
	if err := v.Get(&st); err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	return out.Encode(st)
}

// dialTemporal reaches Temporal through the SDK's environment
// configuration, with the payload keys the workers use.
func dialTemporal(ctx context.Context) (client.Client, error) {
	env := settings.OS()
	keys := config.LoadPayloadKeys(env)
	if err := env.Err(); err != nil {
		return nil, fmt.Errorf("%w\n  (the local stack's: PAYLOAD_KEYS_FILE=data/payload-keys)", err)
	}
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, fmt.Errorf("temporal client configuration: %w", err)
	}
	if keys != nil {
		if opts.DataConverter, err = codec.NewDataConverter(keys); err != nil {
			return nil, err
		}
	}
	opts.Logger = log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to temporal: %w", err)
	}
	return c, nil
}

// operate runs an operator's command against a request's workflow: the
// retry signal, or the correct-request and abandon Updates, whose answer
// (the request's state, or why it was refused) is printed.
func operate(ctx context.Context, cmd string, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: starter " + cmd + " ID ...")
	}
	id, args := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	operator := fs.String("operator", os.Getenv("USER"), "who acts, for the record")
	reason := fs.String("reason", "", "why")
	decline := fs.Bool("decline-email", false, "abandon: send the requester the decline email")
	var file string
	switch cmd {
	case "correct":
		if len(args) == 0 {
			return errors.New("usage: starter correct ID FILE.json [-operator NAME] [-reason TEXT]")
		}
		file, args = args[0], args[1:]
	case "resend":
		if len(args) == 0 {
			return errors.New("usage: starter resend ID receipt|welcome|decline [-operator NAME] [-reason TEXT]")
		}
		file, args = args[0], args[1:] // the email kind
	}
	if err := fs.Parse(args); err != nil {
		return err
	}

	c, err := dialTemporal(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	workflowID := workflows.WorkflowID(id)

	var update string
	var arg any
	switch cmd {
	case "retry":
		if err := c.SignalWorkflow(ctx, workflowID, "", workflows.SignalRetry,
			workflows.Retry{Operator: *operator, Reason: *reason}); err != nil {
			return err
		}
		fmt.Println("retry sent to", workflowID)
		return nil
	case "correct":
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		var corr workflows.Correction
		if err := json.Unmarshal(b, &corr); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		corr.Operator, corr.Reason = *operator, *reason
		update, arg = workflows.UpdateCorrectRequest, corr
	case "abandon":
		update, arg = workflows.UpdateAbandon, workflows.Abandon{Reason: *reason, SendDeclineEmail: *decline, Operator: *operator}
	case "resend":
		in := workflows.ResendEmail{RequestID: id, Kind: workflows.EmailKind(file), Operator: *operator, Reason: *reason}
		run, err := c.ExecuteWorkflow(ctx, workflows.ResendEmailStartOptions(in, uuid.NewString()[:8]), workflows.ResendEmailWorkflowName, in)
		if err != nil {
			return err
		}
		if err := run.Get(ctx, nil); err != nil {
			return err
		}
		fmt.Printf("the %s email of request %s was sent again (workflow %s)\n", in.Kind, id, run.GetID())
		return nil
	}
	handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: update, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	var st workflows.State
	if err := handle.Get(ctx, &st); err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	return out.Encode(st)
}
