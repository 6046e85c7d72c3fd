package webhook

import (
	"encoding/json"
	"time"
)

// KeyValue is one entry of a serialized .NET dictionary. Value stays raw until a typed getter reads it,
// because its shape depends on the key.
type KeyValue struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// Parameters is a serialized dictionary: InputParameters, OutputParameters, SharedVariables, entity
// images, entity attributes, formatted values and key attributes all have this shape.
type Parameters []KeyValue

// Param builds an entry. value is any JSON-encodable value; typed values come from the New*Value
// constructors. It panics when value cannot be encoded, which is a programming error.
func Param(key string, value any) KeyValue {
	return KeyValue{Key: key, Value: mustMarshal(value)}
}

// MarshalJSON writes an empty collection as [] rather than null, as Dataverse does.
func (p Parameters) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]KeyValue(p))
}

// Get returns the raw value of key. A key that is present with a null value reports true.
func (p Parameters) Get(key string) (json.RawMessage, bool) {
	for _, kv := range p {
		if kv.Key == key {
			if kv.Value == nil {
				return json.RawMessage("null"), true
			}
			return kv.Value, true
		}
	}
	return nil, false
}

// Has reports whether key is present, whatever its value.
func (p Parameters) Has(key string) bool {
	_, ok := p.Get(key)
	return ok
}

// Set replaces the value of key, or appends it.
func (p *Parameters) Set(key string, value any) {
	kv := Param(key, value)
	for i := range *p {
		if (*p)[i].Key == key {
			(*p)[i] = kv
			return
		}
	}
	*p = append(*p, kv)
}

// Keys lists the keys in order.
func (p Parameters) Keys() []string {
	keys := make([]string, len(p))
	for i, kv := range p {
		keys[i] = kv.Key
	}
	return keys
}

// decode reads key into v; false when the key is missing, null, or of another shape.
func (p Parameters) decode(key string, v any) bool {
	raw, ok := p.Get(key)
	if !ok || isNull(raw) {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// String returns a string value (also GUIDs and memo columns).
func (p Parameters) String(key string) (string, bool) {
	var s string
	ok := p.decode(key, &s)
	return s, ok
}

// Bool returns a two-option value.
func (p Parameters) Bool(key string) (bool, bool) {
	var b bool
	ok := p.decode(key, &b)
	return b, ok
}

// Int returns a whole-number value.
func (p Parameters) Int(key string) (int64, bool) {
	var n int64
	ok := p.decode(key, &n)
	return n, ok
}

// Float returns a decimal or floating-point value.
func (p Parameters) Float(key string) (float64, bool) {
	var f float64
	ok := p.decode(key, &f)
	return f, ok
}

// Date returns a date and time value written as /Date(ms)/.
func (p Parameters) Date(key string) (time.Time, bool) {
	var d Date
	if !p.decode(key, &d) || d.IsZero() {
		return time.Time{}, false
	}
	return d.Time, true
}

// OptionSetValue returns the number of a choice column (statecode, statuscode, ...) or parameter.
func (p Parameters) OptionSetValue(key string) (int, bool) {
	var o struct{ Value *int }
	if !p.decode(key, &o) || o.Value == nil {
		return 0, false
	}
	return *o.Value, true
}

// OptionSetValues returns the numbers of a multi-select choice column, sent as a bare array.
func (p Parameters) OptionSetValues(key string) []int {
	var os []OptionSetValue
	if !p.decode(key, &os) {
		return nil
	}
	values := make([]int, len(os))
	for i, o := range os {
		values[i] = o.Value
	}
	return values
}

// Money returns the amount of a currency column.
func (p Parameters) Money(key string) (float64, bool) {
	var m struct{ Value *float64 }
	if !p.decode(key, &m) || m.Value == nil {
		return 0, false
	}
	return *m.Value, true
}

// EntityReference returns a lookup value.
func (p Parameters) EntityReference(key string) (EntityReference, bool) {
	var r EntityReference
	if !p.decode(key, &r) || r.Id == "" {
		return EntityReference{}, false
	}
	return r, true
}

// EntityReferences returns an EntityReferenceCollection, sent as an array of EntityReference (for
// example QualifyLead's CreatedEntities).
func (p Parameters) EntityReferences(key string) []EntityReference {
	var refs []EntityReference
	if !p.decode(key, &refs) {
		return nil
	}
	return refs
}

// Entity returns an entity value: a Target, or an image in PreEntityImages or PostEntityImages.
func (p Parameters) Entity(key string) (Entity, bool) {
	var e Entity
	if !p.decode(key, &e) || e.LogicalName == "" {
		return Entity{}, false
	}
	return e, true
}

// EntityCollection returns an EntityCollection value (activity parties, for example).
func (p Parameters) EntityCollection(key string) (EntityCollection, bool) {
	var c EntityCollection
	if !p.decode(key, &c) {
		return EntityCollection{}, false
	}
	return c, true
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("webhook: value cannot be encoded: " + err.Error())
	}
	return b
}
