// Package codec encrypts the payloads the product hands to Temporal, so that
// a request's personal data (names, emails, addresses) is stored in
// Temporal's database and shown by its API only as ciphertext. Workers,
// starters and operators' tools decrypt with the same keys; the codec
// server (see Handler) does it for the Temporal Web UI and CLI.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// The metadata of an encrypted payload.
const (
	// Encoding marks a payload this codec encrypted; Decode leaves any other
	// payload as it is, so histories recorded before encryption still read.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the key that encrypted the payload.
	MetadataKeyID = "encryption-key-id"
)

// Codec is a converter.PayloadCodec with AES-256-GCM. It encrypts with the
// current key (the first one it was given) and decrypts with any key it
// knows by ID, so that keys rotate without making older histories
// unreadable.
type Codec struct {
	current string
	aeads   map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec for keys, the first being the current one.
func New(keys Keys) (*Codec, error) {
	if err := keys.Validate(); err != nil {
		return nil, err
	}
	c := &Codec{current: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		c.aeads[k.ID] = aead
	}
	return c, nil
}

// NewDataConverter is the SDK's default data converter with payloads
// encrypted by keys, for client.Options.DataConverter.
func NewDataConverter(keys Keys) (converter.DataConverter, error) {
	c, err := New(keys)
	if err != nil {
		return nil, err
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c), nil
}

// CurrentKeyID is the ID of the key new payloads are encrypted with.
func (c *Codec) CurrentKeyID() string { return c.current }

// Encode encrypts each whole payload, metadata included, into a new one
// that names its key. The key ID is authenticated with the ciphertext: a
// payload whose key ID was changed does not decrypt.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.current]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("encode payload: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				MetadataKeyID:              []byte(c.current),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(c.current)),
		}
	}
	return out, nil
}

// ErrUnknownKey is returned for a payload encrypted with a key the codec
// was not given (a key removed too early from the list, or another
// deployment's payload).
var ErrUnknownKey = errors.New("payload encrypted with an unknown key")

// Decode decrypts the payloads Encode made and passes the others through.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.aeads[id]
		if !ok {
			return nil, fmt.Errorf("decode payload: %w %q", ErrUnknownKey, id)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return nil, fmt.Errorf("decode payload with key %q: ciphertext too short", id)
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("decode payload with key %q: not authentic (another key of that ID, or altered): %w", id, err)
		}
		var decoded commonpb.Payload
		if err := proto.Unmarshal(plain, &decoded); err != nil {
			return nil, fmt.Errorf("decode payload with key %q: %w", id, err)
		}
		out[i] = &decoded
	}
	return out, nil
}
