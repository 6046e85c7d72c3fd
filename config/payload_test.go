package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/settings"
)

// testPayloadKey is a key for tests only (32 zero-free bytes, base64).
const testPayloadKey = "test-1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

func TestPayloadKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte("# current first\n"+testPayloadKey+"\nold:"+strings.Repeat("A", 43)+"=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, vars := range map[string]map[string]string{
		"inline": {"PAYLOAD_KEYS": testPayloadKey + ",old:" + strings.Repeat("A", 43) + "="},
		"file":   {"PAYLOAD_KEYS_FILE": file},
	} {
		env := settings.Map(vars)
		keys := config.LoadPayloadKeys(env)
		if err := env.Err(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(keys) != 2 || keys[0].ID != "test-1" || keys[1].ID != "old" {
			t.Errorf("%s: keys %d, want test-1 then old", name, len(keys))
		}
	}

	env := settings.Map(map[string]string{"PAYLOAD_ENCRYPTION": "false"})
	if keys := config.LoadPayloadKeys(env); keys != nil || env.Err() != nil {
		t.Errorf("encryption off: keys %v, %v", keys, env.Err())
	}

	for want, vars := range map[string]map[string]string{
		"PAYLOAD_KEYS or PAYLOAD_KEYS_FILE must be set": nil,
		"both set":                 {"PAYLOAD_KEYS": testPayloadKey, "PAYLOAD_KEYS_FILE": file},
		`is 3 bytes, want 32`:      {"PAYLOAD_KEYS": "short:YWJj"},
		`"test-1" appears more`:    {"PAYLOAD_KEYS": testPayloadKey + "," + testPayloadKey},
		"PAYLOAD_KEYS_FILE: open ": {"PAYLOAD_KEYS_FILE": filepath.Join(t.TempDir(), "missing")},
	} {
		env := settings.Map(vars)
		config.LoadPayloadKeys(env)
		err := env.Err()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: err = %v, want %q", vars, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "MDEyMzQ1") {
			t.Errorf("the error shows a key: %v", err)
		}
	}
}

func TestCodecServerSettings(t *testing.T) {
	base := map[string]string{"PAYLOAD_KEYS": testPayloadKey}
	with := func(extra map[string]string) (config.CodecServer, error) {
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		for k, v := range extra {
			vars[k] = v
		}
		env := settings.Map(vars)
		c := config.LoadCodecServer(env)
		return c, env.Err()
	}
	if _, err := with(nil); err == nil || !strings.Contains(err.Error(), "CODEC_SERVER_TOKENS must be set") {
		t.Errorf("no token: %v", err)
	}
	c, err := with(map[string]string{"CODEC_SERVER_TOKENS": "a, b", "CODEC_SERVER_ALLOWED_ORIGINS": "https://temporal.example.com"})
	if err != nil || len(c.Server.Tokens) != 2 || c.Keys[0].ID != "test-1" || c.Server.AllowedOrigins[0] != "https://temporal.example.com" {
		t.Errorf("tokens and origins: %+v, %v", c.Server, err)
	}
	if _, err := with(map[string]string{"CODEC_SERVER_UI_WITHOUT_TOKEN": "true", "CODEC_SERVER_ADDR": "0.0.0.0:8082",
		"CODEC_SERVER_ALLOWED_ORIGINS": "http://127.0.0.1:8233"}); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("UI without token on every interface: %v", err)
	}
	if _, err := with(map[string]string{"CODEC_SERVER_UI_WITHOUT_TOKEN": "true"}); err == nil || !strings.Contains(err.Error(), "CODEC_SERVER_ALLOWED_ORIGINS") {
		t.Errorf("UI without token, no origin: %v", err)
	}
	if _, err := with(map[string]string{"CODEC_SERVER_UI_WITHOUT_TOKEN": "true", "CODEC_SERVER_ALLOWED_ORIGINS": "http://127.0.0.1:8233"}); err != nil {
		t.Errorf("the local stack's settings: %v", err)
	}
	base = nil
	if _, err := with(map[string]string{"CODEC_SERVER_TOKENS": "a"}); err == nil || !strings.Contains(err.Error(), "PAYLOAD_KEYS") {
		t.Errorf("no keys: %v", err)
	}
}
