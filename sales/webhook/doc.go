// Package webhook holds the JSON shape of the RemoteExecutionContext that Dataverse (Dynamics 365
// Sales) posts to a webhook service endpoint, for the side that sends it and the side that reads it.
//
// Dataverse serializes its .NET types with the WCF data contract serializer, so collections that are
// dictionaries in code (parameters, images, attributes) arrive as arrays of {"key":..,"value":..},
// typed values carry a "__type" tag, and dates look like "/Date(1506384247000)/".
package webhook

// Headers Dataverse sets on every webhook request.
const (
	HeaderOrganization    = "x-ms-dynamics-organization"
	HeaderEntityName      = "x-ms-dynamics-entity-name"
	HeaderRequestName     = "x-ms-dynamics-request-name"
	HeaderCorrelationID   = "x-ms-correlation-request-id"
	HeaderMsgSizeExceeded = "x-ms-dynamics-msg-size-exceeded"
)

// The "__type" tags of the typed values Dataverse writes.
const (
	TypeEntity                     = "Entity:http://schemas.microsoft.com/xrm/2011/Contracts"
	TypeEntityReference            = "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts"
	TypeOptionSetValue             = "OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts"
	TypeMoney                      = "Money:http://schemas.microsoft.com/xrm/2011/Contracts"
	TypeEntityCollection           = "EntityCollection:http://schemas.microsoft.com/xrm/2011/Contracts"
	TypeKeyValuePairOfStringString = "KeyValuePairOfstringstring:#System.Collections.Generic"
)

// Execution modes and pipeline stages as Dataverse numbers them.
const (
	ModeSynchronous  = 0
	ModeAsynchronous = 1

	StagePreValidation = 10
	StagePreOperation  = 20
	StageMainOperation = 30
	StagePostOperation = 40
)
