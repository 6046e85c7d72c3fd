package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/url"
	"os"
)

// partner runs the staff's partner commands, which call the starter's HTTP
// API like submit and show:
//
//	starter partner ORG
//	starter credit ORG -amount N -currency EUR [-allow-over-limit] -by NAME -reason TEXT
//	starter block ORG -by NAME -reason TEXT
//	starter unblock ORG -by NAME -reason TEXT
func partner(ctx context.Context, cmd string, args []string) error {
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		return errors.New("usage: starter " + cmd + " ORGANIZATION-ID ...")
	}
	org, args := args[0], args[1:]
	path := "/v1/partners/" + url.PathEscape(org)
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	by := fs.String("by", os.Getenv("USER"), "who makes the change, for the audit list")
	reason := fs.String("reason", "", "why (required)")
	amount := fs.Int64("amount", 0, "credit: the limit in minor units (cents)")
	currency := fs.String("currency", "", "credit: the ISO 4217 currency, e.g. EUR")
	allowOver := fs.Bool("allow-over-limit", false, "credit: orders may go over the limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("starter " + cmd + ": unexpected arguments after the flags")
	}
	switch cmd {
	case "partner":
		return call(ctx, http.MethodGet, path, nil)
	case "credit":
		body := map[string]any{"currency": *currency, "allowOverLimit": *allowOver, "changedBy": *by, "reason": *reason}
		// Without -amount the API names the missing field.
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "amount" {
				body["amount"] = *amount
			}
		})
		return callJSON(ctx, http.MethodPut, path+"/credit-limit", body)
	default: // block, unblock
		return callJSON(ctx, http.MethodPost, path+"/"+cmd, map[string]string{"changedBy": *by, "reason": *reason})
	}
}

func callJSON(ctx context.Context, method, path string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return call(ctx, method, path, b)
}
