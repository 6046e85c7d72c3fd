package stack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/partner-onboarding/onboarding/codec"
)

// DefaultCodecToken is the bearer token the local codec server accepts, as
// the CLI sends it: temporal ... --codec-auth "Bearer local-codec-token".
const DefaultCodecToken = "local-codec-token"

// payloadKeysFile holds the local stack's payload key, made at its first
// start and kept with the data, so that the histories in temporal.db stay
// readable across restarts.
const payloadKeysFile = "payload-keys"

// PayloadKeysFile is the file of the stack's payload keys, as the worker,
// the starter and the codec server read it (PAYLOAD_KEYS_FILE).
func (s *Stack) PayloadKeysFile() string { return filepath.Join(s.DataDir, payloadKeysFile) }

// ensurePayloadKeys reads the data directory's payload keys, making a key
// when there is none yet.
func ensurePayloadKeys(dataDir string) (codec.Keys, error) {
	path := filepath.Join(dataDir, payloadKeysFile)
	keys, err := codec.ReadKeysFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return keys, err
	}
	k, err := codec.NewKey("local-1")
	if err != nil {
		return nil, err
	}
	body := "# The local stack's payload keys (PAYLOAD_KEYS_FILE): the first encrypts,\n" +
		"# every one decrypts. Removing this file makes the histories in temporal.db unreadable.\n" + k.String() + "\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return nil, fmt.Errorf("payload keys: %w", err)
	}
	return codec.Keys{k}, nil
}

// DataConverter encrypts and decrypts payloads as the stack's worker and
// starter do.
func (s *Stack) DataConverter() converter.DataConverter { return s.dataConverter }

// CodecEndpoint is the local codec server, for the CLI's --codec-endpoint.
func (s *Stack) CodecEndpoint() string {
	return fmt.Sprintf("http://127.0.0.1:%d", s.Ports.CodecServer)
}

// CodecAuth is the Authorization header the local codec server accepts,
// for the CLI's --codec-auth.
func (s *Stack) CodecAuth() string { return "Bearer " + DefaultCodecToken }

// StartCodecServer starts the codec server built by Build, with the
// stack's keys. The Web UI of the dev server has no login, so it has no
// token to forward: the server accepts the UI's origin without one, on
// loopback only, and the CLI with DefaultCodecToken.
func (s *Stack) StartCodecServer(ctx context.Context) error {
	p := s.Ports
	origins := []string{fmt.Sprintf("http://127.0.0.1:%d", p.TemporalUI), fmt.Sprintf("http://localhost:%d", p.TemporalUI)}
	return s.StartProcess(ctx, ProcessSpec{
		Name: "codecserver",
		Path: filepath.Join(s.binDir(), "codecserver"),
		Env: s.withOptsEnv([]string{
			fmt.Sprintf("CODEC_SERVER_ADDR=127.0.0.1:%d", p.CodecServer),
			"PAYLOAD_KEYS_FILE=" + s.PayloadKeysFile(),
			"CODEC_SERVER_TOKENS=" + DefaultCodecToken,
			"CODEC_SERVER_ALLOWED_ORIGINS=" + strings.Join(origins, ","),
			"CODEC_SERVER_UI_WITHOUT_TOKEN=true",
		}),
		Ports: map[string]int{"codec server": p.CodecServer},
		Ready: func(ctx context.Context) error {
			return httpOK(ctx, s.CodecEndpoint()+"/healthz")
		},
	})
}

// PlainClient dials the stack's namespace without the payload keys, as
// anyone who reaches Temporal but holds no key; the caller closes it.
func (s *Stack) PlainClient(ctx context.Context) (client.Client, error) {
	return client.DialContext(ctx, client.Options{
		HostPort:  fmt.Sprintf("127.0.0.1:%d", s.Ports.Temporal),
		Namespace: Namespace,
		Logger:    quietLogger,
	})
}
