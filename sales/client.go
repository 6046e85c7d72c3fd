// Package sales is the Sales port: a client for Dynamics 365 Sales through the Dataverse Web API.
//
// Every error it returns is an *Error, classified where it is born: IsPermanent says whether retrying
// can help, IsNotFound that the record is not in Sales, IsUnauthorized that Sales refused the app
// itself, and RetryAfterOf how long Sales asked the caller to wait.
package sales

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Response bodies are read up to these sizes, so a misbehaving server cannot exhaust memory.
const (
	maxBody      = 8 << 20
	maxErrorBody = 64 << 10
)

// Client calls one Dataverse environment. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    string
	http    *http.Client
	tokens  *tokenCache
	observe Observer
}

// Observer is told of every request: what was attempted (such as "create
// lead"), how long it took, and how it failed, if it did. It must be safe
// for concurrent use.
type Observer func(op string, took time.Duration, err error)

// Observe has every request reported to o, for metrics. Call it before the
// client is used.
func (c *Client) Observe(o Observer) { c.observe = o }

// New checks cfg, fills its defaults and returns a client. It makes no request.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("sales: %w", err)
	}
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	return &Client{
		cfg:  cfg,
		base: cfg.EnvironmentURL + "/api/data/v" + cfg.APIVersion + "/",
		http: hc,
		tokens: &tokenCache{
			http: hc,
			conf: &clientcredentials.Config{
				ClientID:     cfg.ClientID,
				ClientSecret: cfg.ClientSecret,
				TokenURL:     cfg.TokenURL,
				Scopes:       []string{cfg.Scope},
				// Entra ID accepts either style, the stand-in only the form; naming one also
				// spares the auto-detection's extra failed request.
				AuthStyle: oauth2.AuthStyleInParams,
			},
			sem: make(chan struct{}, 1),
		},
	}, nil
}

// tokenCache holds the app's access token until shortly before it expires. It fetches with the
// caller's context, which oauth2's own cached token source (bound to one context) cannot.
type tokenCache struct {
	http *http.Client
	conf *clientcredentials.Config
	sem  chan struct{} // one fetch at a time, waited for under the caller's context
	tok  *oauth2.Token
}

func (t *tokenCache) token(ctx context.Context) (string, error) {
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-t.sem }()
	if t.tok.Valid() {
		return t.tok.AccessToken, nil
	}
	tok, err := t.conf.Token(context.WithValue(ctx, oauth2.HTTPClient, t.http))
	if err != nil {
		return "", err
	}
	t.tok = tok
	return tok.AccessToken, nil
}

// forget drops the token unless another caller has already replaced it.
func (t *tokenCache) forget(ctx context.Context, stale string) {
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-t.sem }()
	if t.tok != nil && t.tok.AccessToken == stale {
		t.tok = nil
	}
}

// request is one Web API call.
type request struct {
	op     string
	method string
	path   string // relative to the API root, already escaped
	query  string // already encoded
	body   any
	prefer string
	// ifMatch "*" turns a PATCH into an update of an existing row: without it, Dataverse creates a
	// missing row (upsert). https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api#prevent-create-in-upsert
	ifMatch string
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends r and turns every failure into a classified *Error.
func (c *Client) do(ctx context.Context, r request) (resp response, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	if c.observe != nil {
		started := time.Now()
		defer func() { c.observe(r.op, time.Since(started), err) }()
	}

	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return response{}, &Error{Op: r.op, Err: err, invalid: true}
		}
	}
	target := c.base + r.path
	if r.query != "" {
		target += "?" + r.query
	}

	// A 401 can mean the cached token was revoked before it expired: one fresh token settles it.
	for attempt := 0; ; attempt++ {
		token, err := c.tokens.token(ctx)
		if err != nil {
			return response{}, tokenError(r.op, err)
		}
		resp, err = c.send(ctx, r, target, payload, token)
		if err != nil {
			return response{}, err
		}
		if resp.status == http.StatusUnauthorized && attempt == 0 {
			c.tokens.forget(ctx, token)
			continue
		}
		if resp.status < 200 || resp.status > 299 {
			return response{}, statusError(r.op, resp)
		}
		return resp, nil
	}
}

func (c *Client) send(ctx context.Context, r request, target string, payload []byte, token string) (response, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return response{}, &Error{Op: r.op, Err: err, invalid: true}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("OData-Version", "4.0")
	req.Header.Set("OData-MaxVersion", "4.0")
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if r.prefer != "" {
		req.Header.Set("Prefer", r.prefer)
	}
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return response{}, &Error{Op: r.op, Err: err}
	}
	defer res.Body.Close()

	limit := int64(maxBody)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		limit = maxErrorBody
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return response{}, &Error{Op: r.op, StatusCode: res.StatusCode, Message: "reading the response", Err: err}
	}
	if int64(len(data)) > limit {
		if limit == maxBody {
			return response{}, &Error{Op: r.op, StatusCode: res.StatusCode,
				Message: fmt.Sprintf("response larger than %d bytes", maxBody)}
		}
		data = data[:limit] // an error body is only read for its message
	}
	return response{status: res.StatusCode, header: res.Header, body: data}, nil
}

// statusError reads Dataverse's error body: {"error":{"code":"0x...","message":"..."}}.
func statusError(op string, resp response) *Error {
	e := &Error{Op: op, StatusCode: resp.status, RetryAfter: retryAfter(resp.header)}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(resp.body, &body) == nil {
		e.Code = body.Error.Code
		e.Message = body.Error.Message
	}
	// A 404 for an unknown URL segment (entity set, action) is a wrong request, not a missing record.
	if resp.status == http.StatusNotFound && !e.hasCode(codeResourceSegmentUnknown) {
		e.Err = ErrNotFound
	}
	return e
}

// tokenError classifies a failed token request: a 4xx means the app registration's credentials
// (or tenant, or scope) are wrong and only configuration can fix that.
func tokenError(op string, err error) *Error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		e := &Error{Op: op, StatusCode: re.Response.StatusCode, RetryAfter: retryAfter(re.Response.Header), Err: err, token: true}
		if e.Permanent() {
			e.Message = "the token endpoint rejected the Sales credentials (check the client ID, secret, tenant and scope)"
		} else {
			e.Message = "the token endpoint failed"
		}
		return e
	}
	return &Error{Op: op, Message: "getting an access token", Err: err, token: true}
}

// decode parses a JSON response body into v.
func decode(op string, resp response, v any) error {
	if err := json.Unmarshal(resp.body, v); err != nil {
		return &Error{Op: op, StatusCode: resp.status, Message: "unreadable response body", Err: err}
	}
	return nil
}

// odataString quotes s as an OData string literal: single quotes are doubled.
func odataString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
