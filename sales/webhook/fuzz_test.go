package webhook

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode decodes any body as a RemoteExecutionContext. Decode and every
// getter never panic on what it returns, and what it decoded encodes and
// decodes again to the same body: the sending side writes what the
// reading side read.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no webhook bodies in testdata: %v", err)
	}
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Add([]byte(`{"OperationCreatedOn":"\/Date(1506409448000-0700)\/","RequestId":null}`))
	f.Add([]byte(`{"InputParameters":[{"key":"Target","value":null}],"ParentContext":{"MessageName":"Update"}}`))

	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := Decode(body)
		if err != nil {
			return
		}
		read(c)

		first, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("decoded context does not encode: %v", err)
		}
		again, err := Decode(first)
		if err != nil {
			t.Fatalf("encoded context does not decode: %v\n%s", err, first)
		}
		if again.MessageName != c.MessageName || again.PrimaryEntityName != c.PrimaryEntityName ||
			again.PrimaryEntityId != c.PrimaryEntityId || again.RequestId != c.RequestId ||
			again.OperationId != c.OperationId || again.CorrelationId != c.CorrelationId ||
			again.Stage != c.Stage || again.Mode != c.Mode || !again.OperationCreatedOn.Equal(c.OperationCreatedOn.Time) {
			t.Fatalf("round trip changed the context:\n%+v\n%+v", c, again)
		}
		second, err := json.Marshal(again)
		if err != nil {
			t.Fatalf("context decoded again does not encode: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("encoding is not stable:\n%s\n%s", first, second)
		}
	})
}

// read calls every getter on every parameter the context carries, as the
// receiver may, down through entities and parent contexts.
func read(c RemoteExecutionContext) {
	for depth := 0; depth < 8; depth++ {
		c.Target()
		c.PreImage("PreImage")
		c.PostImage("PostImage")
		for _, p := range []Parameters{c.InputParameters, c.OutputParameters, c.PreEntityImages,
			c.PostEntityImages, c.SharedVariables} {
			readParameters(p, 2)
		}
		readParameters(c.OwningExtension.KeyAttributes, 0)
		if c.ParentContext == nil {
			return
		}
		c = *c.ParentContext
	}
}

func readParameters(p Parameters, depth int) {
	for _, key := range p.Keys() {
		p.Has(key)
		p.String(key)
		p.Bool(key)
		p.Int(key)
		p.Float(key)
		p.Date(key)
		p.OptionSetValue(key)
		p.OptionSetValues(key)
		p.Money(key)
		p.EntityReference(key)
		p.EntityReferences(key)
		if depth == 0 {
			continue
		}
		if e, ok := p.Entity(key); ok {
			readEntity(e, depth-1)
		}
		if col, ok := p.EntityCollection(key); ok {
			for _, e := range col.Entities {
				readEntity(e, depth-1)
			}
		}
	}
}

func readEntity(e Entity, depth int) {
	e.Reference()
	for _, key := range e.Attributes.Keys() {
		e.String(key)
		e.Bool(key)
		e.Int(key)
		e.Float(key)
		e.Date(key)
		e.OptionSetValue(key)
		e.Money(key)
		e.EntityReference(key)
		e.FormattedValue(key)
	}
	readParameters(e.Attributes, depth)
	readParameters(e.FormattedValues, 0)
	readParameters(e.RelatedEntities, depth)
}
