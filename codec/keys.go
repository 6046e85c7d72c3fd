package codec

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

// Key is one encryption key and the ID payloads name it by.
type Key struct {
	ID     string
	Secret []byte
}

// String is the key as ParseKeys reads it: ID:BASE64.
func (k Key) String() string { return k.ID + ":" + base64.StdEncoding.EncodeToString(k.Secret) }

// Keys are the keys a process knows; the first is the current one.
type Keys []Key

var validID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Validate checks that there is a key, that every key is 32 bytes and that
// no ID appears twice. Errors name keys by ID, never by their value.
func (ks Keys) Validate() error {
	if len(ks) == 0 {
		return errors.New("no encryption key")
	}
	seen := map[string]bool{}
	var errs []error
	for _, k := range ks {
		if !validID.MatchString(k.ID) {
			errs = append(errs, fmt.Errorf("key ID %q: use 1 to 64 letters, digits, '.', '_' or '-'", k.ID))
		}
		if len(k.Secret) != KeySize {
			errs = append(errs, fmt.Errorf("key %q is %d bytes, want %d (AES-256)", k.ID, len(k.Secret), KeySize))
		}
		if seen[k.ID] {
			errs = append(errs, fmt.Errorf("key ID %q appears more than once", k.ID))
		}
		seen[k.ID] = true
	}
	return errors.Join(errs...)
}

// ParseKeys reads keys written as ID:BASE64KEY, separated by commas or
// lines; blank lines and lines starting with # are skipped. The first key
// is the current one.
func ParseKeys(s string) (Keys, error) {
	var ks Keys
	var errs []error
	sc := bufio.NewScanner(strings.NewReader(s))
	n := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for entry := range strings.SplitSeq(line, ",") {
			if entry = strings.TrimSpace(entry); entry == "" {
				continue
			}
			n++
			id, b64, ok := strings.Cut(entry, ":")
			if !ok {
				errs = append(errs, fmt.Errorf("key %d: want ID:BASE64KEY", n))
				continue
			}
			id = strings.TrimSpace(id)
			secret, err := decodeBase64(strings.TrimSpace(b64))
			if err != nil {
				errs = append(errs, fmt.Errorf("key %q: not base64", id))
				continue
			}
			ks = append(ks, Key{ID: id, Secret: secret})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ks.Validate(); err != nil {
		return nil, err
	}
	return ks, nil
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// ReadKeysFile reads keys from a file in ParseKeys' format, one a line.
func ReadKeysFile(path string) (Keys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ks, err := ParseKeys(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ks, nil
}

// NewKey makes a random key.
func NewKey(id string) (Key, error) {
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, err
	}
	return Key{ID: id, Secret: secret}, nil
}
