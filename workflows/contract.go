package workflows

import (
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the one task queue the onboarding worker polls.
const TaskQueue = "partner-onboarding"

// WorkflowName is the registered name of the onboarding workflow.
const WorkflowName = "PartnerOnboarding"

// Signal and query names. Sales hooks become the four Sales signals; operators send SignalRetry.
const (
	SignalLeadQualified     = "lead-qualified"
	SignalLeadDisqualified  = "lead-disqualified"
	SignalOpportunityWon    = "opportunity-won"
	SignalOpportunityLost   = "opportunity-lost"
	SignalRetry             = "retry"
	QueryState              = "state"
	workflowIDPrefix        = "onboarding-"
	defaultSalesCheckPeriod = time.Hour
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
// the front door gave it. It is the workflow's input.
type Request struct {
	RequestID  string    `json:"id"`
	Company    Company   `json:"company"`
	Requester  Requester `json:"requester"`
	Locale     string    `json:"locale,omitempty"`
	Comments   string    `json:"comments,omitempty"`
	ReceivedAt time.Time `json:"receivedAt"`
	// SalesCheckInterval is how often the workflow asks Sales for a decision
	// that no webhook brought; zero means an hour.
	SalesCheckInterval time.Duration `json:"salesCheckInterval,omitempty"`
	// Resume is set only when the workflow continues as new while it waits
	// for Sales: it carries everything already done.
	Resume *State `json:"resume,omitempty"`
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

// Decision is how Sales decided the request.
type Decision string

const (
	DecisionNone         Decision = ""
	DecisionDisqualified Decision = "LeadDisqualified"
	DecisionWon          Decision = "OpportunityWon"
	DecisionLost         Decision = "OpportunityLost"
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
	DuplicateSignals       int             `json:"duplicateSignals,omitempty"`
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

// Attention tells an operator which step failed and why.
type Attention struct {
	Step  string    `json:"step"`
	Error string    `json:"error"`
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

// EmailKind names the emails a request can receive, each at most once.
type EmailKind string

const (
	EmailReceipt EmailKind = "receipt"
	EmailWelcome EmailKind = "welcome"
	EmailDecline EmailKind = "decline"
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
)

type ProspectStatus struct {
	RequestID string `json:"requestId"`
	Status    Status `json:"status"`
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
// recipient from the prospect register, so no address travels here twice.
type Email struct {
	RequestID string    `json:"requestId"`
	Kind      EmailKind `json:"kind"`
}

type SalesCheckInput struct {
	LeadID        string `json:"leadId"`
	OpportunityID string `json:"opportunityId,omitempty"`
}

// SalesCheck is what Sales shows of the lead and its opportunity.
type SalesCheck struct {
	LeadQualified    *LeadQualified `json:"leadQualified,omitempty"`
	LeadDisqualified bool           `json:"leadDisqualified,omitempty"`
	OpportunityWon   bool           `json:"opportunityWon,omitempty"`
	OpportunityLost  bool           `json:"opportunityLost,omitempty"`
}
