package webhook

import (
	"encoding/json"
	"time"
)

// Entity is a Dataverse row: a Target, an image, or a member of an EntityCollection.
type Entity struct {
	Attributes      Parameters
	EntityState     *int
	FormattedValues Parameters // the display text of attributes, such as "Qualified" for statecode 1
	Id              string
	KeyAttributes   Parameters
	LogicalName     string
	RelatedEntities Parameters
	RowVersion      string
}

// entityWire is how an Entity is written: with "__type" when it is a parameter value, without it in
// images and collections, and with null for an empty RowVersion.
type entityWire struct {
	Type            string `json:"__type,omitempty"`
	Attributes      Parameters
	EntityState     *int
	FormattedValues Parameters
	Id              string
	KeyAttributes   Parameters
	LogicalName     string
	RelatedEntities Parameters
	RowVersion      *string
}

func (e Entity) wire(typ string) entityWire {
	return entityWire{
		Type:            typ,
		Attributes:      e.Attributes,
		EntityState:     e.EntityState,
		FormattedValues: e.FormattedValues,
		Id:              e.Id,
		KeyAttributes:   e.KeyAttributes,
		LogicalName:     e.LogicalName,
		RelatedEntities: e.RelatedEntities,
		RowVersion:      nullable(e.RowVersion),
	}
}

// MarshalJSON writes the entity as images carry it, without "__type".
func (e Entity) MarshalJSON() ([]byte, error) {
	return json.Marshal(e.wire(""))
}

// Reference returns a reference to the entity.
func (e Entity) Reference() EntityReference {
	return EntityReference{Id: e.Id, LogicalName: e.LogicalName}
}

// String returns a string attribute.
func (e Entity) String(key string) (string, bool) { return e.Attributes.String(key) }

// Bool returns a two-option attribute.
func (e Entity) Bool(key string) (bool, bool) { return e.Attributes.Bool(key) }

// Int returns a whole-number attribute.
func (e Entity) Int(key string) (int64, bool) { return e.Attributes.Int(key) }

// Float returns a decimal or floating-point attribute.
func (e Entity) Float(key string) (float64, bool) { return e.Attributes.Float(key) }

// Date returns a date and time attribute.
func (e Entity) Date(key string) (time.Time, bool) { return e.Attributes.Date(key) }

// OptionSetValue returns a choice attribute, such as statecode or statuscode.
func (e Entity) OptionSetValue(key string) (int, bool) { return e.Attributes.OptionSetValue(key) }

// Money returns a currency attribute.
func (e Entity) Money(key string) (float64, bool) { return e.Attributes.Money(key) }

// EntityReference returns a lookup attribute.
func (e Entity) EntityReference(key string) (EntityReference, bool) {
	return e.Attributes.EntityReference(key)
}

// FormattedValue returns the display text of an attribute.
func (e Entity) FormattedValue(key string) (string, bool) { return e.FormattedValues.String(key) }

// EntityReference points at a row: a lookup value, LeadId, CreatedEntities, OwningExtension.
type EntityReference struct {
	Id            string
	KeyAttributes Parameters
	LogicalName   string
	Name          string
	RowVersion    string
}

type entityReferenceWire struct {
	Type          string `json:"__type,omitempty"`
	Id            string
	KeyAttributes Parameters
	LogicalName   string
	Name          *string
	RowVersion    *string
}

func (r EntityReference) wire(typ string) entityReferenceWire {
	return entityReferenceWire{
		Type:          typ,
		Id:            r.Id,
		KeyAttributes: r.KeyAttributes,
		LogicalName:   r.LogicalName,
		Name:          nullable(r.Name),
		RowVersion:    nullable(r.RowVersion),
	}
}

// MarshalJSON writes the reference without "__type", as OwningExtension carries it.
func (r EntityReference) MarshalJSON() ([]byte, error) {
	return json.Marshal(r.wire(""))
}

// OptionSetValue is the value of a choice column.
type OptionSetValue struct {
	Value int
}

// EntityCollection is a set of entities, such as the parties of an activity.
type EntityCollection struct {
	Entities                      []Entity
	EntityName                    string
	MinActiveRowVersion           string
	MoreRecords                   bool
	PagingCookie                  *string
	TotalRecordCount              int
	TotalRecordCountLimitExceeded bool
}

// NewEntityValue encodes an entity as a parameter value (such as Target), tagged with "__type".
func NewEntityValue(e Entity) json.RawMessage {
	return mustMarshal(e.wire(TypeEntity))
}

// NewEntityReferenceValue encodes a lookup value tagged with "__type".
func NewEntityReferenceValue(logicalName, id string) json.RawMessage {
	return mustMarshal(EntityReference{Id: id, LogicalName: logicalName}.wire(TypeEntityReference))
}

// NewEntityReferenceCollectionValue encodes an EntityReferenceCollection: an array of tagged references.
func NewEntityReferenceCollectionValue(refs ...EntityReference) json.RawMessage {
	wires := make([]entityReferenceWire, len(refs))
	for i, r := range refs {
		wires[i] = r.wire(TypeEntityReference)
	}
	return mustMarshal(wires)
}

// NewOptionSetValue encodes a choice value tagged with "__type".
func NewOptionSetValue(value int) json.RawMessage {
	return mustMarshal(struct {
		Type  string `json:"__type"`
		Value int
	}{TypeOptionSetValue, value})
}

// NewMoneyValue encodes a currency amount tagged with "__type".
func NewMoneyValue(amount float64) json.RawMessage {
	return mustMarshal(struct {
		Type  string `json:"__type"`
		Value float64
	}{TypeMoney, amount})
}

// NewEntityCollectionValue encodes entities as an EntityCollection tagged with "__type".
func NewEntityCollectionValue(entityName string, entities ...Entity) json.RawMessage {
	wires := make([]entityWire, len(entities))
	for i, e := range entities {
		wires[i] = e.wire("")
	}
	return mustMarshal(struct {
		Type                          string `json:"__type"`
		Entities                      []entityWire
		EntityName                    string
		MinActiveRowVersion           string
		MoreRecords                   bool
		PagingCookie                  *string
		TotalRecordCount              int
		TotalRecordCountLimitExceeded bool
	}{TypeEntityCollection, wires, entityName, "-1", false, nil, -1, false})
}

// NewDateValue encodes a date and time as /Date(ms)/.
func NewDateValue(t time.Time) json.RawMessage {
	return mustMarshal(Date{t})
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
