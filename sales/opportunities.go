package sales

import (
	"context"
	"net/http"
	"strings"
)

// Status reasons of a closed opportunity, as WinOpportunity and LoseOpportunity send them.
const (
	opportunityStatusWon      = 3
	opportunityStatusCanceled = 4
)

// GetOpportunity reads one opportunity. One Sales does not have is an error wrapping ErrNotFound.
func (c *Client) GetOpportunity(ctx context.Context, id string) (Opportunity, error) {
	var r record
	// The customer lookup points at an account or a contact; only the annotation says which.
	prefer := `odata.include-annotations="` + lookupLogicalName + `"`
	if err := c.get(ctx, "get opportunity", "opportunities", id, strings.Join(opportunityColumns, ","), prefer, &r); err != nil {
		return Opportunity{}, err
	}
	return opportunityFromRecord(r), nil
}

// GetAccount reads one account. One Sales does not have is an error wrapping ErrNotFound.
func (c *Client) GetAccount(ctx context.Context, id string) (Account, error) {
	var r record
	if err := c.get(ctx, "get account", "accounts", id, strings.Join(accountColumns, ","), "", &r); err != nil {
		return Account{}, err
	}
	return accountFromRecord(r), nil
}

// GetContact reads one contact. One Sales does not have is an error wrapping ErrNotFound.
func (c *Client) GetContact(ctx context.Context, id string) (Contact, error) {
	var r record
	if err := c.get(ctx, "get contact", "contacts", id, strings.Join(contactColumns, ","), "", &r); err != nil {
		return Contact{}, err
	}
	return contactFromRecord(r), nil
}

// WinOpportunity closes an opportunity as won, as a seller does; subject names the closing activity.
func (c *Client) WinOpportunity(ctx context.Context, id, subject string) error {
	return c.closeOpportunity(ctx, "win opportunity", "WinOpportunity", id, subject, opportunityStatusWon)
}

// LoseOpportunity closes an opportunity as lost (canceled), as a seller does.
func (c *Client) LoseOpportunity(ctx context.Context, id, subject string) error {
	return c.closeOpportunity(ctx, "lose opportunity", "LoseOpportunity", id, subject, opportunityStatusCanceled)
}

func (c *Client) closeOpportunity(ctx context.Context, op, action, opportunityID, subject string, status int) error {
	id, err := recordID(op, "opportunity ID", opportunityID)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, request{op: op, method: http.MethodPost, path: action, body: map[string]any{
		"Status": status,
		"OpportunityClose": map[string]string{
			"subject":                  subject,
			"opportunityid@odata.bind": "/opportunities(" + id + ")",
		},
	}})
	return err
}
