package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// RemoteExecutionContext is the body of a Dataverse webhook request.
type RemoteExecutionContext struct {
	BusinessUnitId                             string
	CorrelationId                              string
	Depth                                      int
	InitiatingUserAgent                        string `json:",omitempty"`
	InitiatingUserAzureActiveDirectoryObjectId string `json:",omitempty"`
	InitiatingUserId                           string
	InputParameters                            Parameters
	IsExecutingOffline                         bool
	IsInTransaction                            bool
	IsOfflinePlayback                          bool
	IsolationMode                              int
	MessageName                                string
	Mode                                       int
	OperationCreatedOn                         Date
	OperationId                                string
	OrganizationId                             string
	OrganizationName                           string
	OutputParameters                           Parameters
	OwningExtension                            EntityReference
	ParentContext                              *RemoteExecutionContext
	PostEntityImages                           Parameters
	PreEntityImages                            Parameters
	PrimaryEntityId                            string
	PrimaryEntityName                          string
	RequestId                                  string // "" when Dataverse sent null
	SecondaryEntityName                        string
	SharedVariables                            Parameters
	Stage                                      int
	UserAzureActiveDirectoryObjectId           string `json:",omitempty"`
	UserId                                     string
}

// MarshalJSON writes an empty RequestId as null, as Dataverse sends it for many asynchronous steps
// (Microsoft's own webhook sample among them); OperationId then identifies the event.
func (c RemoteExecutionContext) MarshalJSON() ([]byte, error) {
	type plain RemoteExecutionContext // without this method
	return json.Marshal(struct {
		plain
		RequestId *string
	}{plain(c), nullable(c.RequestId)})
}

// Decode reads a webhook body. It accepts the UTF-8 byte order mark that .NET writers may put first.
func Decode(body []byte) (RemoteExecutionContext, error) {
	var c RemoteExecutionContext
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if err := json.Unmarshal(body, &c); err != nil {
		return RemoteExecutionContext{}, fmt.Errorf("decode remote execution context: %w", err)
	}
	return c, nil
}

// Target is the entity the message acts on (Create, Update), from InputParameters.
func (c RemoteExecutionContext) Target() (Entity, bool) {
	return c.InputParameters.Entity("Target")
}

// PreImage returns the pre-operation image registered under name (such as "PreImage").
func (c RemoteExecutionContext) PreImage(name string) (Entity, bool) {
	return c.PreEntityImages.Entity(name)
}

// PostImage returns the post-operation image registered under name (such as "PostImage").
func (c RemoteExecutionContext) PostImage(name string) (Entity, bool) {
	return c.PostEntityImages.Entity(name)
}
