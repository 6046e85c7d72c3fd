package workflows

import (
	"cmp"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the one task queue the onboarding worker polls.
const TaskQueue = "partner-onboarding"

// WorkflowName is the registered name of the onboarding workflow.
const WorkflowName = "PartnerOnboarding"

// SalesEventWorkflowName is the registered name of the workflow that takes
// over one Sales webhook and brings its decision to the request.
const SalesEventWorkflowName = "SalesEvent"

// ResendEmailWorkflowName is the registered name of the workflow that sends
// an email of a request again, on an operator's request.
const ResendEmailWorkflowName = "ResendEmail"

// Signal, query and update names. Sales hooks become the four Sales signals;
// operators send SignalRetry and the two Updates.
const (
	SignalLeadQualified    = "lead-qualified"
	SignalLeadDisqualified = "lead-disqualified"
	SignalOpportunityWon   = "opportunity-won"
	SignalOpportunityLost  = "opportunity-lost"
	SignalRetry            = "retry"
	QueryState             = "state"
	// UpdateCorrectRequest fixes the requester's or the company's data of a
	// request that has no decision yet; its payload is a Correction.
	UpdateCorrectRequest = "correct-request"
	// UpdateAbandon ends a request that has no decision yet as Rejected, with
	// decision Abandoned; its payload is an Abandon.
	UpdateAbandon = "abandon"

	workflowIDPrefix   = "onboarding-"
	salesEventIDPrefix = "sales-event-"
)

// Defaults of Timing.
const (
	DefaultSalesCheckInterval       = time.Hour
	DefaultLeadReminderAfter        = 3 * 24 * time.Hour
	DefaultOpportunityReminderAfter = 14 * 24 * time.Hour
	DefaultGiveUpAfter              = 30 * 24 * time.Hour
	DefaultEventsPerRun             = 800
)

// Search attributes. They carry statuses and times only, never personal data.
var (
	// OnboardingStatus is the request's current Status.
	OnboardingStatus = temporal.NewSearchAttributeKeyKeyword("OnboardingStatus")
	// OnboardingStatusChangedAt is when OnboardingStatus last changed, so that
	// "waiting for qualification for more than 7 days" is one visibility query.
	OnboardingStatusChangedAt = temporal.NewSearchAttributeKeyTime("OnboardingStatusChangedAt")
)

// SearchAttributeFlags lists the search attributes as the dev server's
// --search-attribute Name=Type values.
func SearchAttributeFlags() []string {
	return []string{"OnboardingStatus=Keyword", "OnboardingStatusChangedAt=Datetime"}
}

// StartOptions are the start options of a request's workflow. A second start
// with the same request ID joins the running workflow and never starts a
// second one; a closed one is not started again.
func StartOptions(requestID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       WorkflowID(requestID),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    temporal.NewSearchAttributes(OnboardingStatus.ValueSet(string(StatusReceived))),
		StaticSummary:            "B2B partner onboarding",
	}
}

// SalesEventStartOptions are the start options of the workflow that takes
// over one Sales webhook. Its ID is derived from the decision and the
// Dataverse operation that made it, so a webhook delivered twice starts one
// workflow, and so do the two webhooks of one decision (QualifyLead and the
// lead's Update, Win and the opportunity's Update share their correlation).
func SalesEventStartOptions(ev SalesEvent) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       salesEventIDPrefix + ev.DecisionKey(),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		StaticSummary:            "Sales " + ev.Message + " webhook: " + ev.Signal,
	}
}

// DecisionKey names the decision a webhook carries: the signal, the record
// it is about and the Dataverse operation that made it (its correlation ID,
// shared by the message's webhook and the record's Update, else the event).
// Two webhooks of one decision have the same key.
func (ev SalesEvent) DecisionKey() string {
	record := ev.LeadID
	if ev.OpportunityID != "" && (ev.Signal == SignalOpportunityWon || ev.Signal == SignalOpportunityLost) {
		record = ev.OpportunityID
	}
	operation := ev.EventID
	if ev.CorrelationID != "" {
		operation = ev.CorrelationID
	}
	return ev.Signal + "-" + record + "-" + operation
}

// WorkflowID is the workflow ID of one onboarding request. It is built from
// the request's random ID only, so it carries no personal data.
func WorkflowID(requestID string) string { return workflowIDPrefix + requestID }

// Status is the request's status: one vocabulary for the prospect register,
// the workflow's state and the OnboardingStatus search attribute.
type Status string

const (
	StatusReceived              Status = "Received"
	StatusAwaitingQualification Status = "AwaitingQualification"
	StatusQualified             Status = "Qualified"
	StatusApproved              Status = "Approved"
	StatusRejected              Status = "Rejected"
	// StatusNeedsAttention holds while a step failed in a way that retrying
	// alone will not fix; an operator's SignalRetry runs the step again.
	StatusNeedsAttention Status = "NeedsAttention"
)

// Request is one onboarding request as the B2B site sends it, plus the ID
// the front door gave it. It is the workflow's input: since the front door
// registers every request in the Commerce register before it starts the
// workflow, a request starts as its claim (Claim), without the personal
// data, and the steps that need that data read it from the register.
// Requests started before carry it in full.
type Request struct {
	RequestID  string    `json:"id"`
	Company    Company   `json:"company"`
	Requester  Requester `json:"requester"`
	Locale     string    `json:"locale,omitempty"`
	Comments   string    `json:"comments,omitempty"`
	ReceivedAt time.Time `json:"receivedAt"`
	Timing
	// Resume is set only when the workflow continues as new while it waits
	// for Sales: it carries everything already done.
	Resume *State `json:"resume,omitempty"`
}

// Claim is the request without its personal data and the B2B site's
// fields: its ID, when it arrived, its timing. Workflow inputs, histories
// and activity inputs carry the claim; the Commerce register holds the rest.
func (r Request) Claim() Request {
	return Request{RequestID: r.RequestID, ReceivedAt: r.ReceivedAt, Timing: r.Timing, Resume: r.Resume}
}

// IsClaim reports whether the request carries none of the B2B site's fields,
// so that its data is read from the register.
func (r Request) IsClaim() bool {
	return r.Company == (Company{}) && r.Requester == (Requester{}) && r.Locale == "" && r.Comments == ""
}

// Timing says how long the request waits for Sales before it does
// something about it. Zero values mean the defaults.
type Timing struct {
	// SalesCheckInterval is how often the workflow asks Sales for a decision
	// that no webhook brought (default an hour).
	SalesCheckInterval time.Duration `json:"salesCheckInterval,omitempty"`
	// LeadReminderAfter is how long a lead may wait for qualification before
	// the sales inbox is reminded of it (default 3 days).
	LeadReminderAfter time.Duration `json:"leadReminderAfter,omitempty"`
	// OpportunityReminderAfter is how long an opportunity may stay open
	// before the sales inbox is reminded of it (default 14 days).
	OpportunityReminderAfter time.Duration `json:"opportunityReminderAfter,omitempty"`
	// GiveUpAfter is how long either wait may last before the request needs
	// an operator's attention (default 30 days).
	GiveUpAfter time.Duration `json:"giveUpAfter,omitempty"`
	// EventsPerRun is how long a run's history may grow while the request
	// waits before it continues as new (default 800). A Sales check adds
	// about a dozen events, so a run ends well under a thousand, and a
	// worker that picks the request up replays little.
	EventsPerRun int `json:"eventsPerRun,omitempty"`
}

// withDefaults fills the zero values.
func (t Timing) withDefaults() Timing {
	or := func(d, def time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	return Timing{
		SalesCheckInterval:       or(t.SalesCheckInterval, DefaultSalesCheckInterval),
		LeadReminderAfter:        or(t.LeadReminderAfter, DefaultLeadReminderAfter),
		OpportunityReminderAfter: or(t.OpportunityReminderAfter, DefaultOpportunityReminderAfter),
		GiveUpAfter:              or(t.GiveUpAfter, DefaultGiveUpAfter),
		EventsPerRun:             cmp.Or(max(t.EventsPerRun, 0), DefaultEventsPerRun),
	}
}

type Company struct {
	Name    string  `json:"name"`
	TaxID   string  `json:"taxId,omitempty"`
	Address Address `json:"address"`
}

type Address struct {
	Street      string `json:"street"`
	City        string `json:"city"`
	PostalCode  string `json:"postalCode"`
	CountryCode string `json:"countryCode"`
}

type Requester struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
	Phone     string `json:"phone,omitempty"`
	JobTitle  string `json:"jobTitle,omitempty"`
}

// Signal payloads. EventID is the Sales event that carried the decision (the
// Dataverse RequestId of a webhook), kept for the record.

type LeadQualified struct {
	LeadID        string `json:"leadId"`
	OpportunityID string `json:"opportunityId"`
	ContactID     string `json:"contactId,omitempty"`
	AccountID     string `json:"accountId,omitempty"`
	EventID       string `json:"eventId,omitempty"`
}

type LeadDisqualified struct {
	LeadID  string `json:"leadId"`
	EventID string `json:"eventId,omitempty"`
}

// OpportunityClosed is the payload of both SignalOpportunityWon and SignalOpportunityLost.
type OpportunityClosed struct {
	OpportunityID string `json:"opportunityId"`
	EventID       string `json:"eventId,omitempty"`
}

// Retry is the payload of SignalRetry: an operator asks to run the failed step again.
type Retry struct {
	Operator string `json:"operator,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Correction is the payload of UpdateCorrectRequest. Every field given
// replaces the request's; fields left empty keep their value. The corrected
// request is validated as the front door validates a new one.
type Correction struct {
	Company   Company   `json:"company"`
	Requester Requester `json:"requester"`
	Locale    string    `json:"locale,omitempty"`
	Operator  string    `json:"operator,omitempty"`
	Reason    string    `json:"reason,omitempty"`
}

// Abandon is the payload of UpdateAbandon.
type Abandon struct {
	Reason string `json:"reason"`
	// SendDeclineEmail tells the requester with the decline email.
	SendDeclineEmail bool   `json:"sendDeclineEmail,omitempty"`
	Operator         string `json:"operator,omitempty"`
}

// Decision is how Sales decided the request.
type Decision string

const (
	DecisionNone         Decision = ""
	DecisionDisqualified Decision = "LeadDisqualified"
	DecisionWon          Decision = "OpportunityWon"
	DecisionLost         Decision = "OpportunityLost"
	// DecisionAbandoned: an operator ended the request, or cancelled its workflow.
	DecisionAbandoned Decision = "Abandoned"
)

// State is the request's whole state, as QueryState answers it and the
// workflow returns it. It holds IDs and statuses only, no personal data.
type State struct {
	RequestID              string          `json:"id"`
	Status                 Status          `json:"status"`
	LeadID                 string          `json:"leadId,omitempty"`
	OpportunityID          string          `json:"opportunityId,omitempty"`
	ContactID              string          `json:"contactId,omitempty"`
	AccountID              string          `json:"accountId,omitempty"`
	PersonCustomerID       string          `json:"personCustomerId,omitempty"`
	OrganizationCustomerID string          `json:"organizationCustomerId,omitempty"`
	HierarchyID            string          `json:"hierarchyId,omitempty"`
	Decision               Decision        `json:"decision,omitempty"`
	EmailsSent             []EmailKind     `json:"emailsSent,omitempty"`
	Attention              *Attention      `json:"attention,omitempty"`
	StatusHistory          []StatusChange  `json:"statusHistory"`
	IgnoredSignals         []IgnoredSignal `json:"ignoredSignals,omitempty"`
	// MoreIgnoredSignals counts ignored decisions beyond those listed, so
	// that the state a long wait carries stays bounded.
	MoreIgnoredSignals int            `json:"moreIgnoredSignals,omitempty"`
	DuplicateSignals   int            `json:"duplicateSignals,omitempty"`
	Corrections        []Corrected    `json:"corrections,omitempty"`
	Reminders          []ReminderSent `json:"reminders,omitempty"`
	Abandonment        *Abandonment   `json:"abandonment,omitempty"`
	// Pending decisions that arrived before the step that needs them.
	Qualification    *LeadQualified    `json:"qualification,omitempty"`
	Disqualification *LeadDisqualified `json:"disqualification,omitempty"`
	Closing          *Closing          `json:"closing,omitempty"`
}

// Closing is how the seller closed the opportunity.
type Closing struct {
	OpportunityID string `json:"opportunityId"`
	Won           bool   `json:"won"`
	EventID       string `json:"eventId,omitempty"`
}

type StatusChange struct {
	Status Status    `json:"status"`
	At     time.Time `json:"at"`
}

// Corrected records an operator's correction: which fields, by whom, why.
// It names the fields only; their values are personal data.
type Corrected struct {
	Fields   []string  `json:"fields"`
	Operator string    `json:"operator,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

// ReminderSent records a reminder to the sales inbox.
type ReminderSent struct {
	Kind EmailKind `json:"kind"`
	At   time.Time `json:"at"`
}

// Abandonment is why and by whom a request was ended without a Sales decision.
type Abandonment struct {
	Reason           string    `json:"reason"`
	Operator         string    `json:"operator,omitempty"`
	SendDeclineEmail bool      `json:"sendDeclineEmail,omitempty"`
	At               time.Time `json:"at"`
}

// Attention tells an operator which step failed and why.
type Attention struct {
	Step string `json:"step"`
	// Error is what the step's system answered; the front door leaves it
	// out, operators read it in the workflow.
	Error string    `json:"error,omitempty"`
	Since time.Time `json:"since"`
}

// IgnoredSignal records a Sales decision that arrived but was not applied,
// because an earlier decision stands or it names another record.
type IgnoredSignal struct {
	Signal string    `json:"signal"`
	Reason string    `json:"reason"`
	ID     string    `json:"id,omitempty"`
	At     time.Time `json:"at"`
}

// EmailKind names the emails of a request. Each kind goes out once per
// request, at least once: a resend after a crash carries the same Message-ID.
type EmailKind string

const (
	EmailReceipt EmailKind = "receipt"
	EmailWelcome EmailKind = "welcome"
	EmailDecline EmailKind = "decline"
	// Reminders go to the sales inbox, not to the requester.
	EmailLeadReminder        EmailKind = "lead-reminder"
	EmailOpportunityReminder EmailKind = "opportunity-reminder"
)

// Activity names and their inputs and outputs. The activities package
// implements them; the workflow calls them by name so that it imports no
// adapter.
const (
	ActivityRegisterProspect        = "RegisterProspect"
	ActivityCreateLead              = "CreateLead"
	ActivitySetProspectStatus       = "SetProspectStatus"
	ActivityImportCustomers         = "ImportCustomers"
	ActivityCreateCustomerHierarchy = "CreateCustomerHierarchy"
	ActivitySendEmail               = "SendEmail"
	ActivityCheckSales              = "CheckSales"
	ActivityCorrectRequest          = "CorrectRequest"
	// ActivityApprovePartner creates the hierarchy, gives the organization its
	// credit limit and sets the request Approved, as one step.
	ActivityApprovePartner    = "ApprovePartner"
	ActivityResolveSalesEvent = "ResolveSalesEvent"
	ActivityRecordSalesEvent  = "RecordSalesEvent"
)

// ProspectStatus sets the prospect register's status, and with a final
// status the decision too.
type ProspectStatus struct {
	RequestID string   `json:"requestId"`
	Status    Status   `json:"status"`
	Decision  Decision `json:"decision,omitempty"`
	// AttentionStep names the step that needs an operator, with NeedsAttention.
	AttentionStep string `json:"attentionStep,omitempty"`
}

// CorrectRequestInput carries a correction to the register and, while the
// lead is open, to the lead in Sales. A request's claim comes with the
// Correction, which the activity applies to the register's data (and
// answers the names of the fields it changed); a request that carries its
// data in full comes corrected already.
type CorrectRequestInput struct {
	Request    Request     `json:"request"`
	Correction *Correction `json:"correction,omitempty"`
	LeadID     string      `json:"leadId,omitempty"`
}

type ImportCustomersInput struct {
	RequestID     string `json:"requestId"`
	OpportunityID string `json:"opportunityId"`
	ContactID     string `json:"contactId,omitempty"`
	AccountID     string `json:"accountId,omitempty"`
}

type Customers struct {
	PersonCustomerID       string `json:"personCustomerId"`
	OrganizationCustomerID string `json:"organizationCustomerId"`
	ContactID              string `json:"contactId"`
	AccountID              string `json:"accountId"`
}

type HierarchyInput struct {
	RequestID              string `json:"requestId"`
	OrganizationCustomerID string `json:"organizationCustomerId"`
	PersonCustomerID       string `json:"personCustomerId"`
}

// Email asks for one email of a kind for a request. The activity reads the
// recipient from the prospect register (or its configuration, for the sales
// inbox), so no address travels here.
type Email struct {
	RequestID string    `json:"requestId"`
	Kind      EmailKind `json:"kind"`
	// For reminders: the record to look at, and since when it waits.
	LeadID        string    `json:"leadId,omitempty"`
	OpportunityID string    `json:"opportunityId,omitempty"`
	WaitingSince  time.Time `json:"waitingSince,omitempty"`
	// Resend names an operator's resend of an email that went out before: it
	// is sent whatever the record says, under a Message-ID of its own.
	Resend string `json:"resend,omitempty"`
}

// ResendEmail is the input of the ResendEmail workflow.
type ResendEmail struct {
	RequestID string    `json:"requestId"`
	Kind      EmailKind `json:"kind"`
	Operator  string    `json:"operator,omitempty"`
	Reason    string    `json:"reason,omitempty"`
}

// ResendEmailStartOptions are the start options of one resend; its ID
// (which also makes the resent email's Message-ID) is the caller's.
func ResendEmailStartOptions(in ResendEmail, resendID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       "resend-" + string(in.Kind) + "-" + in.RequestID + "-" + resendID,
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            "Resend the " + string(in.Kind) + " email of request " + in.RequestID,
	}
}

type SalesCheckInput struct {
	LeadID        string `json:"leadId"`
	OpportunityID string `json:"opportunityId,omitempty"`
}

// SalesCheck is what Sales shows of the lead and its opportunity.
type SalesCheck struct {
	// LeadQualified names the opportunity the lead is qualified into now,
	// which may be another than the request knows when the seller qualified
	// the lead again.
	LeadQualified    *LeadQualified `json:"leadQualified,omitempty"`
	LeadDisqualified bool           `json:"leadDisqualified,omitempty"`
	// OpportunityWon and OpportunityLost are about OpportunityID.
	OpportunityID   string `json:"opportunityId,omitempty"`
	OpportunityWon  bool   `json:"opportunityWon,omitempty"`
	OpportunityLost bool   `json:"opportunityLost,omitempty"`
	// Stuck says why the request cannot move on by itself (the opportunity
	// deleted, the lead merged, ...); empty when it can.
	Stuck string `json:"stuck,omitempty"`
}

// SalesEvent is one seller's decision that a Sales webhook brought, as the
// receiver read it from the body. IDs the body lacked are found in Sales.
type SalesEvent struct {
	// EventID identifies the Dataverse operation, so that a repeated webhook
	// is recognised: RequestId, else OperationId, else a digest of the body.
	EventID string `json:"eventId"`
	// CorrelationID is Dataverse's CorrelationId: the one operation a seller
	// started, which its own steps share (QualifyLead and the lead's Update
	// it causes; Win and the opportunity's Update).
	CorrelationID string `json:"correlationId,omitempty"`
	// Signal is the onboarding signal the decision becomes.
	Signal        string `json:"signal"`
	Message       string `json:"message,omitempty"`
	LeadID        string `json:"leadId,omitempty"`
	OpportunityID string `json:"opportunityId,omitempty"`
	ContactID     string `json:"contactId,omitempty"`
	AccountID     string `json:"accountId,omitempty"`
	// ProspectID is the request's ID when the body carried it.
	ProspectID string `json:"prospectId,omitempty"`
}

// ResolvedSalesEvent is a SalesEvent with the request it belongs to; an
// empty RequestID means the record is not one of ours, or Sales has no such
// record, as Reason says.
type ResolvedSalesEvent struct {
	SalesEvent
	RequestID string `json:"requestId,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// Outcomes of a SalesEvent, as RecordSalesEvent keeps them.
const (
	SalesEventDelivered     = "delivered"
	SalesEventRequestClosed = "request-closed"
	SalesEventNotOurs       = "not-ours"
)

// SalesEventRecord is what RecordSalesEvent keeps of a handled event.
type SalesEventRecord struct {
	EventID   string `json:"eventId"`
	RequestID string `json:"requestId"`
	Signal    string `json:"signal"`
	RecordID  string `json:"recordId,omitempty"`
	Outcome   string `json:"outcome"`
}

// Shape counts what one approved request asks of the engine: the load
// command runs a bare workflow of this shape beside the product, as the
// floor the product is measured against.
type Shape struct {
	Activities      int // regular activities (Sales and SMTP calls)
	LocalActivities int // steps that touch only the Commerce database
	Signals         int // Sales decisions: qualified, then won
}

// ApprovedShape is the shape of an approved request.
var ApprovedShape = Shape{Activities: 4, LocalActivities: 1, Signals: 2}
