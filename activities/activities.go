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
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/mail"
	"github.com/partner-onboarding/onboarding/metrics"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

// Error types of the non-retryable errors the activities return.
const (
	ErrorSalesRejected    = "SalesRejected"
	ErrorMailRejected     = "MailRejected"
	ErrorCommerceRejected = "CommerceRejected"
	// ErrorSalesThrottled is retried after the wait Sales asked for.
	ErrorSalesThrottled = "SalesThrottled"
)

// Sales is what the activities need of Dynamics 365 Sales.
type Sales interface {
	EnsureLead(ctx context.Context, l sales.Lead) (id string, created bool, err error)
	UpdateLead(ctx context.Context, id string, l sales.Lead) error
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
	// DefaultLanguage is the language of a requester's emails when their
	// locale has no templates; empty, it is English.
	DefaultLanguage string
	// MessageIDDomain is the right-hand side of the emails' Message-IDs.
	MessageIDDomain string
	// SalesInbox receives the reminders about requests that wait long for
	// Sales; without it they are logged only.
	SalesInbox string
	// SalesAppURL is the root the reminders' links to records in Dynamics
	// 365 start with: the environment URL, such as https://org.crm.dynamics.com.
	SalesAppURL string
	// SignInURL is the B2B site's sign-in page, which invitations link to.
	SignInURL string
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
	if cfg.ShopName == "" || cfg.MessageIDDomain == "" || cfg.SignInURL == "" {
		return nil, errors.New("activities config: shop name, message ID domain and sign-in URL are required")
	}
	if cfg.DefaultLanguage == "" {
		cfg.DefaultLanguage = defaultLanguage
	}
	templates, err := loadEmailTemplates(cfg.DefaultLanguage)
	if err != nil {
		return nil, fmt.Errorf("activities config: %w", err)
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
		workflows.ActivityCorrectRequest:          a.CorrectRequest,
		workflows.ActivityApprovePartner:          a.ApprovePartner,
		workflows.ActivityResolveSalesEvent:       a.ResolveSalesEvent,
		workflows.ActivityRecordSalesEvent:        a.RecordSalesEvent,
		workflows.ActivityErasePersonalData:       a.ErasePersonalData,
		workflows.ActivityCreatePartnerUser:       a.CreatePartnerUser,
		workflows.ActivityJoinPartnerUser:         a.JoinPartnerUser,
		workflows.ActivitySendInvitation:          a.SendInvitation,
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// RegisterProspect saves the request in the Commerce prospect register and
// marks its workflow started. The front door usually registered it already;
// then only the mark changes.
func (a *Activities) RegisterProspect(ctx context.Context, req workflows.Request) error {
	if req.IsClaim() {
		// A claim: the front door registered the request with its data.
		if _, err := a.commerce.GetProspect(ctx, req.RequestID); err != nil {
			return commerceError("read prospect "+req.RequestID, err)
		}
	} else if err := a.commerce.RegisterProspect(ctx, ProspectOf(req)); err != nil {
		return commerceError("register prospect", err)
	}
	if err := a.commerce.MarkProspectStarted(ctx, req.RequestID); err != nil {
		return commerceError("mark prospect started", err)
	}
	return nil
}

// CreateLead finds or creates the request's lead in Sales. The lead's ID is
// derived from the request's, so a retry after a create that timed out (or
// a worker that died mid-call) finds the first lead instead of making a second.
func (a *Activities) CreateLead(ctx context.Context, req workflows.Request) (string, error) {
	defer keepAlive(ctx)()
	req, err := a.requestData(ctx, req)
	if err != nil {
		return "", err
	}
	id, created, err := a.sales.EnsureLead(ctx, leadOf(req))
	if err != nil {
		return "", redact(salesError("create lead for prospect "+req.RequestID, err), req)
	}
	// The lead, the status it brings (AwaitingQualification) and the mark
	// that the workflow runs, in one statement.
	if err := a.commerce.RecordLead(ctx, req.RequestID, id); err != nil {
		return "", commerceError("record lead of prospect "+req.RequestID, err)
	}
	a.logger(ctx).Info("Lead ready", "leadId", id, "created", created)
	return id, nil
}

// leadOf is the Sales lead of a request.
func leadOf(req workflows.Request) sales.Lead {
	return sales.Lead{
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
}

// CorrectRequest carries an operator's correction to the lead in Sales
// (while it is open) and to the prospect register. Sales goes first: a
// failure there leaves the register as it was, and the Update reports it.
//
// A request's claim comes with the correction itself: it is applied to the
// register's data here, validated as the front door validates a request,
// and the names of the fields it changed are the answer.
func (a *Activities) CorrectRequest(ctx context.Context, in workflows.CorrectRequestInput) ([]string, error) {
	defer keepAlive(ctx)()
	req, fields := in.Request, []string(nil)
	if in.Correction != nil {
		current, err := a.requestData(ctx, in.Request.Claim())
		if err != nil {
			return nil, err
		}
		if req, fields, err = workflows.ApplyCorrection(current, *in.Correction); err != nil {
			return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrorCommerceRejected, nil)
		}
	}
	if in.LeadID != "" {
		if err := a.sales.UpdateLead(ctx, in.LeadID, leadOf(req)); err != nil {
			return nil, redact(salesError("correct lead "+in.LeadID, err), req, in.Request)
		}
	}
	if err := a.commerce.CorrectProspect(ctx, ProspectOf(req)); err != nil {
		return nil, redact(commerceError("correct prospect "+req.RequestID, err), req, in.Request)
	}
	a.logger(ctx).Info("Request corrected", "leadUpdated", in.LeadID != "", "fields", strings.Join(fields, ","))
	return fields, nil
}

// requestData is the request with its data: a claim's from the register.
func (a *Activities) requestData(ctx context.Context, req workflows.Request) (workflows.Request, error) {
	if !req.IsClaim() {
		return req, nil
	}
	p, err := a.commerce.GetProspect(ctx, req.RequestID)
	if err != nil {
		return req, commerceError("read prospect "+req.RequestID, err)
	}
	full := RequestOf(p)
	full.ReceivedAt, full.Timing = req.ReceivedAt, req.Timing
	return full, nil
}

// RequestOf rebuilds a request from its entry in the prospect register.
func RequestOf(p commerce.Prospect) workflows.Request {
	return workflows.Request{
		RequestID: p.RequestID,
		Company: workflows.Company{Name: p.CompanyName, TaxID: p.TaxID, Address: workflows.Address{
			Street: p.Street, City: p.City, PostalCode: p.PostalCode, CountryCode: p.CountryCode}},
		Requester: workflows.Requester{FirstName: p.FirstName, LastName: p.LastName, Email: p.Email,
			Phone: p.Phone, JobTitle: p.JobTitle},
		Locale:     p.Locale,
		Comments:   p.Comments,
		ReceivedAt: p.CreatedAt,
	}
}

// redact takes the requests' personal data out of an error's message and
// its causes, which Temporal records in the history and the worker logs: a
// Sales or database error may quote the values it refused. What is left
// keeps the error's type and whether a retry may help.
func redact(err error, reqs ...workflows.Request) error {
	if err == nil {
		return nil
	}
	var pairs []string
	for _, r := range reqs {
		for _, v := range []string{r.Requester.Email, r.Requester.FirstName, r.Requester.LastName, r.Requester.Phone,
			r.Requester.JobTitle, r.Company.Address.Street, r.Company.TaxID} {
			if len(strings.TrimSpace(v)) >= 2 {
				pairs = append(pairs, v, "[redacted]")
			}
		}
	}
	clean := strings.NewReplacer(pairs...).Replace
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return errors.New(clean(err.Error()))
	}
	// The message holds the cause's text already; the cause is left out.
	return temporal.NewApplicationErrorWithOptions(clean(appErr.Message()), appErr.Type(), temporal.ApplicationErrorOptions{
		NonRetryable: appErr.NonRetryable(), NextRetryDelay: appErr.NextRetryDelay()})
}

func (a *Activities) SetProspectStatus(ctx context.Context, in workflows.ProspectStatus) error {
	if in.Status == workflows.StatusNeedsAttention && in.AttentionStep != "" {
		if err := a.commerce.MarkNeedsAttention(ctx, in.RequestID, in.AttentionStep); err != nil {
			return commerceError("mark prospect "+in.RequestID+" needing attention", err)
		}
		return nil
	}
	if err := a.commerce.SetProspectStatus(ctx, in.RequestID, string(in.Status), string(in.Decision)); err != nil {
		return commerceError("set status of prospect "+in.RequestID, err)
	}
	return nil
}

// ImportCustomers writes the qualified contact and account to Commerce as a
// Person and an Organization customer. Where the qualification did not name
// them, the opportunity in Sales does.
func (a *Activities) ImportCustomers(ctx context.Context, in workflows.ImportCustomersInput) (workflows.Customers, error) {
	defer keepAlive(ctx)()
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
	// The qualification and the status it brings (Qualified), once the
	// customers are in.
	if err := a.commerce.RecordQualification(ctx, in.RequestID, in.OpportunityID); err != nil {
		return workflows.Customers{}, commerceError("record qualification of prospect "+in.RequestID, err)
	}
	return workflows.Customers{
		PersonCustomerID:       person.ID,
		OrganizationCustomerID: org.ID,
		ContactID:              contact.ID,
		AccountID:              account.ID,
	}, nil
}

// ApprovePartner makes the prospect a partner in Commerce: the hierarchy with
// the requester as Admin, the organization's credit limit, and the request
// Approved. Each write is idempotent, so the step can run again whole.
func (a *Activities) ApprovePartner(ctx context.Context, in workflows.HierarchyInput) (string, error) {
	id, err := a.CreateCustomerHierarchy(ctx, in)
	if err != nil {
		return "", err
	}
	err = a.commerce.SetProspectStatus(ctx, in.RequestID, string(workflows.StatusApproved), string(workflows.DecisionWon))
	if err != nil {
		return "", commerceError("set prospect "+in.RequestID+" approved", err)
	}
	return id, nil
}

// CreateCustomerHierarchy puts the organization on top, the requester in it
// as Admin, and gives the organization the shop's default credit limit
// unless it has one (the staff's limit stays).
func (a *Activities) CreateCustomerHierarchy(ctx context.Context, in workflows.HierarchyInput) (string, error) {
	h, err := a.commerce.CreateHierarchy(ctx, in.RequestID, commerce.PurposeB2BOrganization, in.OrganizationCustomerID,
		[]commerce.HierarchyMember{{CustomerID: in.PersonCustomerID, Role: commerce.RoleAdmin}})
	if err != nil {
		return "", commerceError("create customer hierarchy for request "+in.RequestID, err)
	}
	if err := a.commerce.SetInitialCreditLimit(ctx, in.OrganizationCustomerID, a.config.CreditLimit, a.config.CreditLimitCurrency); err != nil {
		return "", commerceError("set credit limit of customer "+in.OrganizationCustomerID, err)
	}
	return h.ID, nil
}

// SendEmail sends one email of a kind for a request: to the requester, or,
// for a reminder, to the sales inbox. Each kind goes out once per request,
// at least once: a sent email is recorded, and its Message-ID is derived
// from the request and the kind, so that a resend after a crash between
// sending and recording is recognisably the same message.
func (a *Activities) SendEmail(ctx context.Context, in workflows.Email) error {
	defer keepAlive(ctx)()
	if _, sent, err := a.commerce.EmailSent(ctx, in.RequestID, string(in.Kind)); err != nil {
		return commerceError("read sent emails", err)
	} else if sent && in.Resend == "" {
		a.logger(ctx).Info("Email already sent", "kind", in.Kind)
		return nil
	} else if !sent && in.Resend != "" {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("request %s has had no %s email to send again", in.RequestID, in.Kind), ErrorMailRejected, nil)
	}
	p, err := a.commerce.GetProspect(ctx, in.RequestID)
	if err != nil {
		return commerceError("read prospect "+in.RequestID, err)
	}
	if !p.PersonalDataErasedAt.IsZero() && !reminder(in.Kind) {
		erased := fmt.Sprintf("request %s has no recipient: its personal data was erased on %s (retention)",
			in.RequestID, p.PersonalDataErasedAt.Format(time.DateOnly))
		if in.Resend != "" {
			return temporal.NewNonRetryableApplicationError(erased, ErrorMailRejected, nil)
		}
		// A request's own email that was still due when its data was erased
		// (the mail server down for the whole retention period): nobody can
		// send it any more, and the request must still end.
		a.logger(ctx).Warn("Email not sent: "+erased, "kind", in.Kind)
		return nil
	}
	to, toName, locale := p.Email, strings.TrimSpace(p.FirstName+" "+p.LastName), p.Locale
	data := emailData{
		RequestID:   p.RequestID,
		FirstName:   p.FirstName,
		LastName:    p.LastName,
		CompanyName: p.CompanyName,
		ShopName:    a.config.ShopName,
	}
	if reminder(in.Kind) {
		if a.config.SalesInbox == "" {
			a.logger(ctx).Warn("No sales inbox configured: reminder not sent", "kind", in.Kind, "leadId", in.LeadID)
			return nil
		}
		to, toName, locale = a.config.SalesInbox, "", reminderLanguage
		data.LeadURL = a.recordURL("lead", in.LeadID)
		data.OpportunityURL = a.recordURL("opportunity", in.OpportunityID)
		data.WaitingDays = int(time.Since(in.WaitingSince).Hours() / 24)
	}
	body, err := a.templates.render(in.Kind, locale, data)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrorMailRejected, err)
	}
	messageID := MessageID(in.RequestID, in.Kind, a.config.MessageIDDomain)
	if in.Resend != "" {
		messageID = "<" + in.Resend + "@" + a.config.MessageIDDomain + ">"
	}
	// The send ends before the activity's deadline, so that the record
	// below has time to be written, and a retry never overlaps this send.
	sendCtx, cancel := context.WithDeadline(ctx, sendDeadline(ctx))
	defer cancel()
	err = a.mail.Send(sendCtx, mail.Message{
		To:        to,
		ToName:    toName,
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
	countEmail(ctx, in.Kind)
	if in.Resend != "" {
		a.logger(ctx).Info("Email sent again", "kind", in.Kind, "messageId", messageID)
		return nil // the ResendEmail workflow is its record
	}
	// The server has the email: the record must be written even when the
	// activity's own context ended meanwhile, or the retry sends it again.
	recordCtx, cancelRecord := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancelRecord()
	if err := a.commerce.RecordEmailSent(recordCtx, commerce.SentEmail{RequestID: in.RequestID, Kind: string(in.Kind), MessageID: messageID}); err != nil {
		return commerceError("record sent email", err)
	}
	a.logger(ctx).Info("Email sent", "kind", in.Kind, "messageId", messageID)
	return nil
}

// countEmail counts an email the SMTP server accepted.
func countEmail(ctx context.Context, kind workflows.EmailKind) {
	activity.GetMetricsHandler(ctx).WithTags(map[string]string{"kind": string(kind)}).Counter(metrics.EmailsSent).Inc(1)
}

// ObserveSales reports every Sales call to h: its latency, and its failure
// sorted by what it means for a retry.
func ObserveSales(h client.MetricsHandler) sales.Observer {
	return func(op string, took time.Duration, err error) {
		tagged := h.WithTags(map[string]string{"operation": strings.ReplaceAll(op, " ", "_")})
		tagged.Timer(metrics.SalesRequestLatency).Record(took)
		if err == nil {
			return
		}
		kind := "transient"
		switch {
		case sales.IsNotFound(err):
			kind = "not_found"
		case sales.IsUnauthorized(err):
			kind = "unauthorized"
		case sales.RetryAfterOf(err) > 0:
			kind = "throttled"
		case sales.IsPermanent(err):
			kind = "permanent"
		}
		tagged.WithTags(map[string]string{"kind": kind}).Counter(metrics.SalesErrors).Inc(1)
	}
}

// recordTimeout bounds writing the record of a sent email.
const recordTimeout = 10 * time.Second

// sendDeadline is when a send must give up: before the activity's own
// deadline by a quarter of the time left, at most by recordTimeout.
func sendDeadline(ctx context.Context) time.Time {
	deadline := activity.GetInfo(ctx).Deadline
	if deadline.IsZero() {
		return time.Now().Add(time.Hour)
	}
	return deadline.Add(-min(time.Until(deadline)/4, recordTimeout))
}

func reminder(kind workflows.EmailKind) bool {
	return kind == workflows.EmailLeadReminder || kind == workflows.EmailOpportunityReminder
}

// recordURL links to a record in Dynamics 365 (the Unified Interface's
// main.aspx with the table's logical name and the row's ID).
func (a *Activities) recordURL(entity, id string) string {
	if id == "" || a.config.SalesAppURL == "" {
		return ""
	}
	return strings.TrimRight(a.config.SalesAppURL, "/") + "/main.aspx?pagetype=entityrecord&etn=" + entity + "&id=" + id
}

// MessageID is the Message-ID of a request's email of a kind.
func MessageID(requestID string, kind workflows.EmailKind, domain string) string {
	return fmt.Sprintf("<onboarding-%s-%s@%s>", requestID, kind, domain)
}

// CheckSales reads the lead and the opportunity the request knows, so that
// the workflow can move on when a decision reached Sales but its webhook
// never reached us. A closed opportunity counts even when the lead shows open
// again; an open one gives way to the opportunity the lead was qualified into
// since. States that cannot move on by themselves are reported as Stuck.
func (a *Activities) CheckSales(ctx context.Context, in workflows.SalesCheckInput) (workflows.SalesCheck, error) {
	defer keepAlive(ctx)()
	var check workflows.SalesCheck
	lead, err := a.sales.GetLead(ctx, in.LeadID)
	leadGone := sales.IsNotFound(err)
	if err != nil && !leadGone {
		return check, salesError("read lead "+in.LeadID, err)
	}
	known, knownGone, err := a.opportunity(ctx, in.OpportunityID)
	if err != nil {
		return check, err
	}
	target := known
	requalified := lead.State == sales.LeadQualified && lead.QualifyingOpportunityID != "" &&
		!strings.EqualFold(lead.QualifyingOpportunityID, in.OpportunityID)
	if requalified && (known == nil || known.State == sales.OpportunityOpen) {
		next, gone, err := a.opportunity(ctx, lead.QualifyingOpportunityID)
		if err != nil {
			return check, err
		}
		if gone {
			check.Stuck = fmt.Sprintf("opportunity %s was deleted in Sales", lead.QualifyingOpportunityID)
			return check, nil
		}
		target = next
	}
	switch {
	case target != nil:
	case knownGone:
		check.Stuck = fmt.Sprintf("opportunity %s was deleted in Sales", in.OpportunityID)
		return check, nil
	case leadGone:
		check.Stuck = fmt.Sprintf("lead %s was deleted in Sales", in.LeadID)
		return check, nil
	case lead.Merged:
		check.Stuck = fmt.Sprintf("the lead was merged into lead %s", lead.MasterID)
		return check, nil
	case lead.State == sales.LeadDisqualified:
		check.LeadDisqualified = true
		return check, nil
	case lead.State == sales.LeadQualified:
		check.Stuck = "the lead was qualified without an opportunity"
		return check, nil
	default:
		return check, nil // the lead is open: nothing decided yet
	}
	check.LeadQualified = &workflows.LeadQualified{
		LeadID: in.LeadID, OpportunityID: target.ID, ContactID: target.ContactID, AccountID: target.AccountID,
	}
	check.LeadDisqualified = lead.State == sales.LeadDisqualified
	check.OpportunityID = target.ID
	check.OpportunityWon = target.State == sales.OpportunityWon
	check.OpportunityLost = target.State == sales.OpportunityLost
	return check, nil
}

// opportunity reads an opportunity; gone reports that Sales has none of that ID.
func (a *Activities) opportunity(ctx context.Context, id string) (opp *sales.Opportunity, gone bool, err error) {
	if id == "" {
		return nil, false, nil
	}
	o, err := a.sales.GetOpportunity(ctx, id)
	switch {
	case sales.IsNotFound(err):
		return nil, true, nil
	case err != nil:
		return nil, false, salesError("read opportunity "+id, err)
	}
	return &o, false, nil
}

// ResolveSalesEvent finds the request a webhook's decision belongs to,
// filling in from Sales the IDs the body lacks. A record that Sales does not
// have, or a lead that is not one of ours, resolves to no request. Any other
// failure is retried, a refused token included: the decision must not be
// lost while the client secret is renewed.
func (a *Activities) ResolveSalesEvent(ctx context.Context, ev workflows.SalesEvent) (workflows.ResolvedSalesEvent, error) {
	defer keepAlive(ctx)()
	r := workflows.ResolvedSalesEvent{SalesEvent: ev}
	if r.LeadID == "" {
		opp, err := a.sales.GetOpportunity(ctx, r.OpportunityID)
		if err != nil {
			return r, lookupError(&r, "opportunity "+r.OpportunityID, err)
		}
		r.LeadID = opp.OriginatingLeadID
		if r.LeadID == "" {
			r.Reason = "opportunity " + r.OpportunityID + " did not come from a lead"
			return r, nil
		}
	}
	needsOpportunity := r.Signal == workflows.SignalLeadQualified && r.OpportunityID == ""
	if r.ProspectID != "" && !needsOpportunity {
		r.RequestID = r.ProspectID
		return r, nil
	}
	lead, err := a.sales.GetLead(ctx, r.LeadID)
	if err != nil {
		return r, lookupError(&r, "lead "+r.LeadID, err)
	}
	if needsOpportunity {
		r.OpportunityID = lead.QualifyingOpportunityID
	}
	r.RequestID = lead.ProspectID
	if r.RequestID == "" {
		r.Reason = "lead " + r.LeadID + " is not a Commerce B2B lead"
	}
	return r, nil
}

// lookupError sorts a failed lookup: a record Sales does not have, or a
// request Sales refuses for good (not for its credentials), ends the event
// with a reason; everything else is retried.
func lookupError(r *workflows.ResolvedSalesEvent, what string, err error) error {
	switch {
	case sales.IsNotFound(err):
		r.Reason = "Sales has no " + what
		return nil
	case sales.IsPermanent(err) && !sales.IsUnauthorized(err):
		r.Reason = "Sales refused to read " + what + ": " + err.Error()
		return nil
	}
	msg := "read " + what + ": " + err.Error()
	return temporal.NewApplicationErrorWithOptions(msg, ErrorSalesThrottled, temporal.ApplicationErrorOptions{
		NextRetryDelay: sales.RetryAfterOf(err)})
}

// RecordSalesEvent keeps a handled event with its request, so that a
// decision that came after the request closed stays visible.
func (a *Activities) RecordSalesEvent(ctx context.Context, r workflows.SalesEventRecord) error {
	outcome := commerce.EventDelivered
	if r.Outcome == workflows.SalesEventRequestClosed {
		outcome = commerce.EventRequestClosed
	}
	err := a.commerce.RecordSalesEvent(ctx, commerce.SalesEvent{EventID: r.EventID, RequestID: r.RequestID,
		Signal: r.Signal, RecordID: r.RecordID, Outcome: outcome})
	if err != nil {
		return commerceError("record Sales event "+r.EventID, err)
	}
	return nil
}

// keepAlive tells Temporal that the activity is alive until the returned
// stop is called, so that a worker that dies mid-call is noticed at the
// heartbeat timeout, not at the end of the step's whole timeout.
func keepAlive(ctx context.Context) (stop func()) {
	timeout := activity.GetInfo(ctx).HeartbeatTimeout
	if timeout <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(max(timeout/3, 100*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
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

// salesError marks what Sales refuses for good as permanent, and has a retry
// after throttling wait at least as long as Sales asked (Retry-After).
func salesError(op string, err error) error {
	if sales.IsPermanent(err) {
		return temporal.NewNonRetryableApplicationError(op+": "+err.Error(), ErrorSalesRejected, err)
	}
	if wait := sales.RetryAfterOf(err); wait > 0 {
		return temporal.NewApplicationErrorWithOptions(op+": "+err.Error(), ErrorSalesThrottled,
			temporal.ApplicationErrorOptions{NextRetryDelay: wait, Cause: err})
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
