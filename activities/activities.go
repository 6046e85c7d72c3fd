// Package activities holds the onboarding workflow's side effects, one
// activity per step. Each is idempotent: run twice, it has one effect. Each
// marks an error that retrying will not fix as non-retryable where it sees it,
// so that the workflow asks an operator instead of retrying forever.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/mail"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

// Error types of the non-retryable errors the activities return.
const (
	ErrorSalesRejected    = "SalesRejected"
	ErrorMailRejected     = "MailRejected"
	ErrorCommerceRejected = "CommerceRejected"
)

// Sales is what the activities need of Dynamics 365 Sales.
type Sales interface {
	EnsureLead(ctx context.Context, l sales.Lead) (id string, created bool, err error)
	GetLead(ctx context.Context, id string) (sales.Lead, error)
	GetOpportunity(ctx context.Context, id string) (sales.Opportunity, error)
	GetAccount(ctx context.Context, id string) (sales.Account, error)
	GetContact(ctx context.Context, id string) (sales.Contact, error)
}

// Mailer sends one email.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// Config is the business configuration of the activities.
type Config struct {
	// CreditLimit is the credit limit of a new partner organization, in minor
	// units of CreditLimitCurrency (cents for EUR).
	CreditLimit         int64
	CreditLimitCurrency string
	// ShopName signs the emails.
	ShopName string
	// MessageIDDomain is the right-hand side of the emails' Message-IDs.
	MessageIDDomain string
}

// Activities are the onboarding steps, bound to their ports.
type Activities struct {
	commerce  *commerce.Store
	sales     Sales
	mail      Mailer
	config    Config
	templates *emailTemplates
}

func New(store *commerce.Store, salesClient Sales, mailer Mailer, cfg Config) (*Activities, error) {
	if cfg.CreditLimitCurrency == "" {
		return nil, errors.New("activities config: credit limit currency is required")
	}
	if cfg.ShopName == "" || cfg.MessageIDDomain == "" {
		return nil, errors.New("activities config: shop name and message ID domain are required")
	}
	templates, err := loadEmailTemplates()
	if err != nil {
		return nil, err
	}
	return &Activities{commerce: store, sales: salesClient, mail: mailer, config: cfg, templates: templates}, nil
}

// Register registers every activity under the name the workflow calls it by.
func (a *Activities) Register(w worker.ActivityRegistry) {
	for name, fn := range map[string]any{
		workflows.ActivityRegisterProspect:        a.RegisterProspect,
		workflows.ActivityCreateLead:              a.CreateLead,
		workflows.ActivitySetProspectStatus:       a.SetProspectStatus,
		workflows.ActivityImportCustomers:         a.ImportCustomers,
		workflows.ActivityCreateCustomerHierarchy: a.CreateCustomerHierarchy,
		workflows.ActivitySendEmail:               a.SendEmail,
		workflows.ActivityCheckSales:              a.CheckSales,
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// RegisterProspect saves the request in the Commerce prospect register. The
// front door usually registered it already; then nothing changes.
func (a *Activities) RegisterProspect(ctx context.Context, req workflows.Request) error {
	if err := a.commerce.RegisterProspect(ctx, ProspectOf(req)); err != nil {
		return commerceError("register prospect", err)
	}
	return nil
}

// CreateLead finds or creates the request's lead in Sales, found by the
// prospect ID it carries, so that a retry never makes a second lead.
func (a *Activities) CreateLead(ctx context.Context, req workflows.Request) (string, error) {
	lead := sales.Lead{
		ProspectID:  req.RequestID,
		Subject:     "B2B partner request: " + req.Company.Name,
		FirstName:   req.Requester.FirstName,
		LastName:    req.Requester.LastName,
		Email:       req.Requester.Email,
		Phone:       req.Requester.Phone,
		JobTitle:    req.Requester.JobTitle,
		CompanyName: req.Company.Name,
		Street:      req.Company.Address.Street,
		City:        req.Company.Address.City,
		PostalCode:  req.Company.Address.PostalCode,
		Country:     req.Company.Address.CountryCode,
		Description: req.Comments,
	}
	id, created, err := a.sales.EnsureLead(ctx, lead)
	if err != nil {
		return "", salesError("create lead for prospect "+req.RequestID, err)
	}
	if err := a.commerce.SetProspectLead(ctx, req.RequestID, id); err != nil {
		return "", commerceError("record lead of prospect "+req.RequestID, err)
	}
	a.logger(ctx).Info("Lead ready", "leadId", id, "created", created)
	return id, nil
}

func (a *Activities) SetProspectStatus(ctx context.Context, in workflows.ProspectStatus) error {
	if err := a.commerce.SetProspectStatus(ctx, in.RequestID, string(in.Status)); err != nil {
		return commerceError("set status of prospect "+in.RequestID, err)
	}
	return nil
}

// ImportCustomers writes the qualified contact and account to Commerce as a
// Person and an Organization customer. Where the qualification did not name
// them, the opportunity in Sales does.
func (a *Activities) ImportCustomers(ctx context.Context, in workflows.ImportCustomersInput) (workflows.Customers, error) {
	contactID, accountID := in.ContactID, in.AccountID
	if contactID == "" || accountID == "" {
		opp, err := a.sales.GetOpportunity(ctx, in.OpportunityID)
		if err != nil {
			return workflows.Customers{}, salesError("read opportunity "+in.OpportunityID, err)
		}
		contactID = firstNonEmpty(contactID, opp.ContactID)
		accountID = firstNonEmpty(accountID, opp.AccountID)
	}
	if contactID == "" || accountID == "" {
		return workflows.Customers{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("opportunity %s has no contact or no account in Sales", in.OpportunityID), ErrorSalesRejected, nil)
	}
	account, err := a.sales.GetAccount(ctx, accountID)
	if err != nil {
		return workflows.Customers{}, salesError("read account "+accountID, err)
	}
	contact, err := a.sales.GetContact(ctx, contactID)
	if err != nil {
		return workflows.Customers{}, salesError("read contact "+contactID, err)
	}

	org, err := a.commerce.UpsertCustomer(ctx, commerce.Customer{
		Kind:          commerce.KindOrganization,
		SalesRecordID: account.ID,
		RequestID:     in.RequestID,
		Name:          account.Name,
		Email:         account.Email,
		Phone:         account.Phone,
		Street:        account.Street,
		City:          account.City,
		PostalCode:    account.PostalCode,
		CountryCode:   account.Country,
	})
	if err != nil {
		return workflows.Customers{}, commerceError("write organization customer", err)
	}
	person, err := a.commerce.UpsertCustomer(ctx, commerce.Customer{
		Kind:          commerce.KindPerson,
		SalesRecordID: contact.ID,
		RequestID:     in.RequestID,
		Name:          strings.TrimSpace(contact.FirstName + " " + contact.LastName),
		FirstName:     contact.FirstName,
		LastName:      contact.LastName,
		Email:         contact.Email,
		Phone:         contact.Phone,
		JobTitle:      contact.JobTitle,
	})
	if err != nil {
		return workflows.Customers{}, commerceError("write person customer", err)
	}
	return workflows.Customers{
		PersonCustomerID:       person.ID,
		OrganizationCustomerID: org.ID,
		ContactID:              contact.ID,
		AccountID:              account.ID,
	}, nil
}

// CreateCustomerHierarchy puts the organization on top, the requester in it
// as Admin, and gives the organization its credit limit.
func (a *Activities) CreateCustomerHierarchy(ctx context.Context, in workflows.HierarchyInput) (string, error) {
	h, err := a.commerce.CreateHierarchy(ctx, in.RequestID, commerce.PurposeB2BOrganization, in.OrganizationCustomerID,
		[]commerce.HierarchyMember{{CustomerID: in.PersonCustomerID, Role: commerce.RoleAdmin}})
	if err != nil {
		return "", commerceError("create customer hierarchy for request "+in.RequestID, err)
	}
	if err := a.commerce.SetCreditLimit(ctx, in.OrganizationCustomerID, a.config.CreditLimit, a.config.CreditLimitCurrency); err != nil {
		return "", commerceError("set credit limit of customer "+in.OrganizationCustomerID, err)
	}
	return h.ID, nil
}

// SendEmail sends one email of a kind to the requester, at most once per
// request: a sent email is recorded, and its Message-ID is derived from the
// request and the kind, so that a resend after a crash between sending and
// recording is recognisable as the same message.
func (a *Activities) SendEmail(ctx context.Context, in workflows.Email) error {
	if _, sent, err := a.commerce.EmailSent(ctx, in.RequestID, string(in.Kind)); err != nil {
		return commerceError("read sent emails", err)
	} else if sent {
		a.logger(ctx).Info("Email already sent", "kind", in.Kind)
		return nil
	}
	p, err := a.commerce.GetProspect(ctx, in.RequestID)
	if err != nil {
		return commerceError("read prospect "+in.RequestID, err)
	}
	body, err := a.templates.render(in.Kind, p.Locale, emailData{
		RequestID:   p.RequestID,
		FirstName:   p.FirstName,
		LastName:    p.LastName,
		CompanyName: p.CompanyName,
		ShopName:    a.config.ShopName,
	})
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrorMailRejected, err)
	}
	messageID := MessageID(in.RequestID, in.Kind, a.config.MessageIDDomain)
	err = a.mail.Send(ctx, mail.Message{
		To:        p.Email,
		ToName:    strings.TrimSpace(p.FirstName + " " + p.LastName),
		Subject:   body.Subject,
		Text:      body.Text,
		HTML:      body.HTML,
		MessageID: messageID,
		Headers:   map[string]string{"X-Onboarding-Request": p.RequestID, "X-Onboarding-Email": string(in.Kind)},
	})
	if err != nil {
		// Only the mail port's own message, which leaves the recipient's
		// address out, may reach the history and the logs: the causes it
		// wraps (the SMTP client's errors) name the address, and Temporal
		// records every cause in the chain.
		msg := fmt.Sprintf("send %s email for request %s: %v", in.Kind, in.RequestID, err)
		if mail.IsPermanent(err) {
			return temporal.NewNonRetryableApplicationError(msg, ErrorMailRejected, nil)
		}
		return errors.New(msg)
	}
	if err := a.commerce.RecordEmailSent(ctx, commerce.SentEmail{RequestID: in.RequestID, Kind: string(in.Kind), MessageID: messageID}); err != nil {
		return commerceError("record sent email", err)
	}
	a.logger(ctx).Info("Email sent", "kind", in.Kind, "messageId", messageID)
	return nil
}

// MessageID is the Message-ID of a request's email of a kind.
func MessageID(requestID string, kind workflows.EmailKind, domain string) string {
	return fmt.Sprintf("<onboarding-%s-%s@%s>", requestID, kind, domain)
}

// CheckSales reads the lead and its opportunity, so that the workflow can move
// on when a decision reached Sales but its webhook never reached us.
func (a *Activities) CheckSales(ctx context.Context, in workflows.SalesCheckInput) (workflows.SalesCheck, error) {
	lead, err := a.sales.GetLead(ctx, in.LeadID)
	if err != nil {
		return workflows.SalesCheck{}, salesError("read lead "+in.LeadID, err)
	}
	var check workflows.SalesCheck
	switch lead.State {
	case sales.LeadDisqualified:
		check.LeadDisqualified = true
		return check, nil
	case sales.LeadOpen:
		return check, nil
	}
	oppID := firstNonEmpty(lead.QualifyingOpportunityID, in.OpportunityID)
	if oppID == "" {
		return check, nil
	}
	opp, err := a.sales.GetOpportunity(ctx, oppID)
	if err != nil {
		return workflows.SalesCheck{}, salesError("read opportunity "+oppID, err)
	}
	check.LeadQualified = &workflows.LeadQualified{
		LeadID: lead.ID, OpportunityID: opp.ID, ContactID: opp.ContactID, AccountID: opp.AccountID,
	}
	check.OpportunityWon = opp.State == sales.OpportunityWon
	check.OpportunityLost = opp.State == sales.OpportunityLost
	return check, nil
}

func (a *Activities) logger(ctx context.Context) *slog.Logger {
	info := activity.GetInfo(ctx)
	return slog.Default().With("workflowId", info.WorkflowExecution.ID, "activity", info.ActivityType.Name)
}

// ProspectOf is the prospect register's row for a request.
func ProspectOf(req workflows.Request) commerce.Prospect {
	return commerce.Prospect{
		RequestID:   req.RequestID,
		Status:      string(workflows.StatusReceived),
		CompanyName: req.Company.Name,
		TaxID:       req.Company.TaxID,
		Street:      req.Company.Address.Street,
		City:        req.Company.Address.City,
		PostalCode:  req.Company.Address.PostalCode,
		CountryCode: req.Company.Address.CountryCode,
		FirstName:   req.Requester.FirstName,
		LastName:    req.Requester.LastName,
		Email:       req.Requester.Email,
		Phone:       req.Requester.Phone,
		JobTitle:    req.Requester.JobTitle,
		Locale:      req.Locale,
		Comments:    req.Comments,
	}
}

func salesError(op string, err error) error {
	if sales.IsPermanent(err) {
		return temporal.NewNonRetryableApplicationError(op+": "+err.Error(), ErrorSalesRejected, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// commerceError marks invalid input and missing records as permanent; other
// database errors (busy, connection lost) retry.
func commerceError(op string, err error) error {
	if errors.Is(err, commerce.ErrNotFound) || errors.Is(err, commerce.ErrInvalid) {
		return temporal.NewNonRetryableApplicationError(op+": "+err.Error(), ErrorCommerceRejected, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
