package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func testKey(t *testing.T, id string) Key {
	t.Helper()
	k, err := NewKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newCodec(t *testing.T, keys ...Key) *Codec {
	t.Helper()
	c, err := New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func plainPayload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	c := newCodec(t, testKey(t, "k1"))
	in := plainPayload(t, map[string]string{"requestId": "r-1", "email": "ada@partner.example"})
	enc, err := c.Encode([]*commonpb.Payload{in})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(enc[0].Metadata[converter.MetadataEncoding]); got != Encoding {
		t.Errorf("encoding = %q, want %q", got, Encoding)
	}
	if got := string(enc[0].Metadata[MetadataKeyID]); got != "k1" {
		t.Errorf("key ID = %q, want k1", got)
	}
	if bytes.Contains(enc[0].Data, []byte("ada@partner.example")) {
		t.Error("the encrypted payload holds the email in plain text")
	}
	again, _ := c.Encode([]*commonpb.Payload{in})
	if bytes.Equal(enc[0].Data, again[0].Data) {
		t.Error("one payload encrypted twice gives the same bytes: the nonce is not random")
	}
	dec, err := c.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]string
	if err := converter.GetDefaultDataConverter().FromPayload(dec[0], &out); err != nil {
		t.Fatal(err)
	}
	if out["requestId"] != "r-1" || out["email"] != "ada@partner.example" {
		t.Errorf("decoded %v", out)
	}
	if got := string(dec[0].Metadata[converter.MetadataEncoding]); got != converter.MetadataEncodingJSON {
		t.Errorf("decoded encoding = %q, want the original %q", got, converter.MetadataEncodingJSON)
	}
}

func TestDataConverterRoundTrip(t *testing.T) {
	dc, err := NewDataConverter(Keys{testKey(t, "k1")})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := dc.ToPayloads("r-2", 42)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps.Payloads {
		if string(p.Metadata[converter.MetadataEncoding]) != Encoding {
			t.Errorf("payload not encrypted: %v", p.Metadata)
		}
	}
	var id string
	var n int
	if err := dc.FromPayloads(ps, &id, &n); err != nil || id != "r-2" || n != 42 {
		t.Errorf("FromPayloads = %q, %d, %v", id, n, err)
	}
}

func TestRotation(t *testing.T) {
	old, current := testKey(t, "2025"), testKey(t, "2026")
	before := newCodec(t, old)
	enc, err := before.Encode([]*commonpb.Payload{plainPayload(t, "recorded under the old key")})
	if err != nil {
		t.Fatal(err)
	}

	after := newCodec(t, current, old)
	if after.CurrentKeyID() != "2026" {
		t.Errorf("current key = %q, want the first one", after.CurrentKeyID())
	}
	dec, err := after.Decode(enc)
	if err != nil {
		t.Fatalf("the old key no longer decrypts: %v", err)
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(dec[0], &s); err != nil || s != "recorded under the old key" {
		t.Errorf("decoded %q, %v", s, err)
	}
	fresh, err := after.Encode([]*commonpb.Payload{plainPayload(t, "new")})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(fresh[0].Metadata[MetadataKeyID]); got != "2026" {
		t.Errorf("new payloads use key %q, want 2026", got)
	}
}

func TestUnknownOrWrongKey(t *testing.T) {
	enc, err := newCodec(t, testKey(t, "a")).Encode([]*commonpb.Payload{plainPayload(t, "secret")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newCodec(t, testKey(t, "b")).Decode(enc); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("decode with an unknown key ID: %v, want ErrUnknownKey", err)
	}
	// Another key under the same ID: authentication fails.
	if _, err := newCodec(t, testKey(t, "a")).Decode(enc); err == nil || !strings.Contains(err.Error(), "not authentic") {
		t.Errorf("decode with the wrong key: %v", err)
	}
}

func TestTamperingDetected(t *testing.T) {
	k1, k2 := testKey(t, "k1"), testKey(t, "k2")
	c := newCodec(t, k1, k2)
	tamper := map[string]func(p *commonpb.Payload){
		"ciphertext": func(p *commonpb.Payload) { p.Data[len(p.Data)-20] ^= 1 },
		"nonce":      func(p *commonpb.Payload) { p.Data[0] ^= 1 },
		"tag":        func(p *commonpb.Payload) { p.Data[len(p.Data)-1] ^= 1 },
		"truncated":  func(p *commonpb.Payload) { p.Data = p.Data[:10] },
		"key ID":     func(p *commonpb.Payload) { p.Metadata[MetadataKeyID] = []byte("k2") },
	}
	for name, change := range tamper {
		t.Run(name, func(t *testing.T) {
			enc, err := c.Encode([]*commonpb.Payload{plainPayload(t, "approved")})
			if err != nil {
				t.Fatal(err)
			}
			change(enc[0])
			if _, err := c.Decode(enc); err == nil {
				t.Error("an altered payload decoded")
			}
		})
	}
}

func TestUnencryptedPassesThrough(t *testing.T) {
	c := newCodec(t, testKey(t, "k1"))
	plain := []*commonpb.Payload{plainPayload(t, "recorded before encryption"), plainPayload(t, nil)}
	dec, err := c.Decode(plain)
	if err != nil {
		t.Fatal(err)
	}
	for i := range plain {
		if dec[i] != plain[i] {
			t.Errorf("payload %d changed", i)
		}
	}
}

func TestParseKeys(t *testing.T) {
	k1, k2 := testKey(t, "one"), testKey(t, "two")
	for name, in := range map[string]string{
		"commas": k1.String() + ", " + k2.String(),
		"lines":  "# current first\n" + k1.String() + "\n\n" + k2.String() + "\n",
	} {
		ks, err := ParseKeys(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(ks) != 2 || ks[0].ID != "one" || !bytes.Equal(ks[0].Secret, k1.Secret) || ks[1].ID != "two" {
			t.Errorf("%s: parsed %d keys, first %q", name, len(ks), ks[0].ID)
		}
	}

	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	for in, want := range map[string]string{
		"":                                    "no encryption key",
		"no-colon":                            "want ID:BASE64KEY",
		"k:%%%":                               `key "k": not base64`,
		"k:" + short:                          `key "k" is 16 bytes, want 32`,
		k1.String() + "," + k1.String():       `key ID "one" appears more than once`,
		"bad id:" + k1.String()[len("one:"):]: `key ID "bad id"`,
	} {
		_, err := ParseKeys(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKeys(%.20q) = %v, want an error with %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), k1.String()[len("one:"):]) {
			t.Errorf("the error shows the key: %v", err)
		}
	}
}
