package codec

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

const uiOrigin = "http://127.0.0.1:8233"

func testServer(t *testing.T, cfg ServerConfig) (*httptest.Server, *Codec) {
	t.Helper()
	c := newCodec(t, testKey(t, "k1"))
	srv := httptest.NewServer(Handler(c, cfg))
	t.Cleanup(srv.Close)
	return srv, c
}

func post(t *testing.T, url string, payloads []*commonpb.Payload, header map[string]string) (*http.Response, []*commonpb.Payload) {
	t.Helper()
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", "default")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	var ps commonpb.Payloads
	if err := protojson.Unmarshal(out, &ps); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	return resp, ps.Payloads
}

func TestServerEncodesAndDecodes(t *testing.T) {
	srv, c := testServer(t, ServerConfig{Tokens: []string{"old-token", "s3cret"}})
	auth := map[string]string{"Authorization": "Bearer s3cret"}
	resp, enc := post(t, srv.URL+"/encode", []*commonpb.Payload{plainPayload(t, "r-7")}, auth)
	if resp.StatusCode != http.StatusOK || len(enc) != 1 || string(enc[0].Metadata[converter.MetadataEncoding]) != Encoding {
		t.Fatalf("encode: %s %v", resp.Status, enc)
	}
	resp, dec := post(t, srv.URL+"/decode", enc, auth)
	if resp.StatusCode != http.StatusOK || len(dec) != 1 {
		t.Fatalf("decode: %s", resp.Status)
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(dec[0], &s); err != nil || s != "r-7" {
		t.Errorf("decoded %q, %v", s, err)
	}
	// What the workers encrypt, the server decrypts.
	mine, err := c.Encode([]*commonpb.Payload{plainPayload(t, "from a worker")})
	if err != nil {
		t.Fatal(err)
	}
	if resp, dec := post(t, srv.URL+"/decode", mine, map[string]string{"Authorization": "bearer old-token"}); resp.StatusCode != http.StatusOK ||
		converter.GetDefaultDataConverter().FromPayload(dec[0], &s) != nil || s != "from a worker" {
		t.Errorf("decode with the older token: %s %q", resp.Status, s)
	}
}

func TestServerRequiresToken(t *testing.T) {
	srv, c := testServer(t, ServerConfig{Tokens: []string{"s3cret"}, AllowedOrigins: []string{uiOrigin}})
	enc, err := c.Encode([]*commonpb.Payload{plainPayload(t, "personal data")})
	if err != nil {
		t.Fatal(err)
	}
	for name, header := range map[string]map[string]string{
		"no token":         nil,
		"wrong token":      {"Authorization": "Bearer guess"},
		"not bearer":       {"Authorization": "Basic czNjcmV0"},
		"UI without token": {"Origin": uiOrigin},
	} {
		if resp, _ := post(t, srv.URL+"/decode", enc, header); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %s, want 401", name, resp.Status)
		}
	}
	if resp, _ := post(t, srv.URL+"/decode", enc, map[string]string{"Origin": "http://evil.example", "Authorization": "Bearer s3cret"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("from an origin not allowed: %s, want 403", resp.Status)
	}
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %v %v", resp, err)
	}
}

func TestServerUIWithoutToken(t *testing.T) {
	srv, c := testServer(t, ServerConfig{Tokens: []string{"s3cret"}, AllowedOrigins: []string{uiOrigin}, UIWithoutToken: true})
	enc, err := c.Encode([]*commonpb.Payload{plainPayload(t, "r-8")})
	if err != nil {
		t.Fatal(err)
	}
	resp, dec := post(t, srv.URL+"/decode", enc, map[string]string{"Origin": uiOrigin})
	if resp.StatusCode != http.StatusOK || len(dec) != 1 {
		t.Fatalf("decode from the UI: %s", resp.Status)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != uiOrigin {
		t.Errorf("Access-Control-Allow-Origin = %q", got)
	}
	if resp, _ := post(t, srv.URL+"/decode", enc, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without an origin nor a token: %s, want 401", resp.Status)
	}
}

func TestServerPreflight(t *testing.T) {
	srv, _ := testServer(t, ServerConfig{Tokens: []string{"s3cret"}, AllowedOrigins: []string{uiOrigin}})
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-namespace")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight(uiOrigin)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("preflight: %s", resp.Status)
	}
	for header, want := range map[string]string{
		"Access-Control-Allow-Origin":      uiOrigin,
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Headers":     "Authorization, Content-Type, X-Namespace",
	} {
		if got := resp.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if resp := preflight("http://evil.example"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %s, Allow-Origin %q", resp.Status, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}
