// Package metrics names the product's own metrics, in one place for the
// code that records them (the workflow, the activities, the starter) and
// for the dashboard that shows them. Each is recorded through the Temporal
// SDK's metrics handler, which the processes export for Prometheus with the
// SDK's own metrics: counters get the suffix _total, timers _seconds (as
// histograms: _bucket, _sum, _count).
package metrics

// Names as recorded; tags in parentheses.
const (
	// RequestsReceived counts new onboarding requests (starter).
	RequestsReceived = "onboarding_requests_received"
	// IntakeRefused counts intake calls refused before they were read
	// (reason: unauthorized, key_rate, address_limit) (starter).
	IntakeRefused = "onboarding_intake_refused"
	// RequestsDecided counts requests that ended (outcome: approved or
	// rejected; decision: OpportunityWon, OpportunityLost, LeadDisqualified,
	// Abandoned) (workflow).
	RequestsDecided = "onboarding_requests_decided"
	// RequestsNeedingAttention counts the times a request needed an
	// operator (step) (workflow).
	RequestsNeedingAttention = "onboarding_requests_needing_attention"
	// RequestsInStatus is how many requests the register holds in each
	// status (status), read every few seconds (starter).
	RequestsInStatus = "onboarding_requests_in_status"
	// Webhooks counts Sales webhooks by what the receiver answered (result:
	// accepted, duplicate, ignored, unauthorized, too_large, bad_request,
	// unavailable) (starter).
	Webhooks = "onboarding_webhooks"
	// EmailsSent counts emails handed to the SMTP server (kind) (worker).
	EmailsSent = "onboarding_emails_sent"
	// SalesRequestLatency times each Dataverse Web API call (operation) (worker).
	SalesRequestLatency = "onboarding_sales_request_latency"
	// SalesErrors counts failed Dataverse calls (operation; kind: transient,
	// permanent, throttled, not_found, unauthorized) (worker).
	SalesErrors = "onboarding_sales_errors"
	// SubmitToLead times a request from its submission to its lead in
	// Sales (workflow).
	SubmitToLead = "onboarding_submit_to_lead_latency"
	// DecisionToEmail times a request from the seller's decision reaching
	// the workflow to the welcome or decline email accepted by SMTP (workflow).
	DecisionToEmail = "onboarding_decision_to_email_latency"
)
