// Package mailpittest runs a real Mailpit for tests and reads what it caught
// through Mailpit's REST API.
package mailpittest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mailpit is a running Mailpit, stopped when the test ends.
type Mailpit struct {
	SMTPHost string
	SMTPPort int
	APIURL   string // e.g. http://127.0.0.1:40123, without a trailing slash

	http *http.Client
}

// Connect reads a Mailpit that runs already, such as the local stack's.
func Connect(apiURL string) *Mailpit {
	return &Mailpit{APIURL: strings.TrimRight(apiURL, "/"), http: &http.Client{Timeout: 10 * time.Second}}
}

// Address is a mailbox as Mailpit reports it.
type Address struct {
	Name    string
	Address string
}

// Summary is a message in a list or search result.
type Summary struct {
	ID        string // Mailpit's database ID, for Message
	MessageID string // without angle brackets
	From      *Address
	To        []Address
	Subject   string
	Created   time.Time
	Snippet   string
}

// Message is one message with its bodies and headers.
type Message struct {
	ID        string
	MessageID string // without angle brackets
	From      *Address
	To        []Address
	Cc        []Address
	Subject   string
	Date      time.Time
	Text      string
	HTML      string
	Headers   map[string][]string
}

const installHint = "install it with `make tools` " +
	"(or `GOBIN=$PWD/.tools/bin go install github.com/axllent/mailpit@v1.33.1` at the repository root), " +
	"or point MAILPIT_BIN at a mailpit binary"

// Binary finds the mailpit binary: $MAILPIT_BIN, else .tools/bin/mailpit in
// the working directory or one above it, else mailpit on the PATH.
func Binary() (string, error) {
	if p := os.Getenv("MAILPIT_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("MAILPIT_BIN=%s: %w", p, err)
		}
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, ".tools", "bin", "mailpit")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("mailpit not found in MAILPIT_BIN, in .tools/bin above %s, or on the PATH", wd)
}

// Start runs a Mailpit on free loopback ports with its own database and waits
// until it answers. A missing binary fails the test: skipping would let a
// broken setup pass unnoticed. Extra command-line flags may be given.
func Start(t testing.TB, flags ...string) *Mailpit {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatalf("mailpittest: %v; %s", err, installHint)
	}
	// A free port found here can be taken by someone else before Mailpit
	// binds it; then Mailpit exits and another pair is tried.
	var lastErr error
	for range 3 {
		m, err := start(t, bin, flags)
		if err == nil {
			return m
		}
		lastErr = err
	}
	t.Fatalf("mailpittest: %v", lastErr)
	return nil
}

func start(t testing.TB, bin string, flags []string) (*Mailpit, error) {
	smtpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	args := append([]string{
		"--smtp", net.JoinHostPort("127.0.0.1", strconv.Itoa(smtpPort)),
		"--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--disable-version-check",
		"--smtp-disable-rdns",
	}, flags...)
	cmd := exec.Command(bin, args...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	m := &Mailpit{
		SMTPHost: "127.0.0.1",
		SMTPPort: smtpPort,
		APIURL:   "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)),
		http:     &http.Client{Timeout: 10 * time.Second},
	}
	if err := m.waitReady(exited, 30*time.Second); err != nil {
		stop()
		return nil, fmt.Errorf("%w; mailpit output:\n%s", err, out.String())
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("mailpit output:\n%s", out.String())
		}
	})
	return m, nil
}

func (m *Mailpit) waitReady(exited <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-exited:
			return errors.New("mailpit exited while starting")
		default:
		}
		if m.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mailpit did not answer within %s", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *Mailpit) ready() bool {
	resp, err := m.http.Get(m.APIURL + "/readyz")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	conn, err := net.DialTimeout("tcp", m.SMTPAddr(), time.Second)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// SMTPAddr is host:port of the SMTP server.
func (m *Mailpit) SMTPAddr() string {
	return net.JoinHostPort(m.SMTPHost, strconv.Itoa(m.SMTPPort))
}

// Messages returns the newest messages first, those matching a Mailpit search
// query (e.g. `to:ada@example.com`, `message-id:"x@y"`) or all when it is "".
func (m *Mailpit) Messages(ctx context.Context, query string) ([]Summary, error) {
	path := "/api/v1/messages?limit=1000"
	if query != "" {
		path = "/api/v1/search?limit=1000&query=" + url.QueryEscape(query)
	}
	var res struct {
		Messages []Summary `json:"messages"`
	}
	if err := m.get(ctx, path, &res); err != nil {
		return nil, err
	}
	return res.Messages, nil
}

// WaitForMessages polls until at least n messages match query, and returns
// them, or fails when ctx ends.
func (m *Mailpit) WaitForMessages(ctx context.Context, query string, n int) ([]Summary, error) {
	for {
		ms, err := m.Messages(ctx, query)
		if err == nil && len(ms) >= n {
			return ms, nil
		}
		select {
		case <-ctx.Done():
			return ms, fmt.Errorf("waiting for %d messages matching %q, have %d: %w", n, query, len(ms), errors.Join(ctx.Err(), err))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Message returns one message by its Mailpit ID, with its headers.
func (m *Mailpit) Message(ctx context.Context, id string) (Message, error) {
	var msg Message
	if err := m.get(ctx, "/api/v1/message/"+url.PathEscape(id), &msg); err != nil {
		return Message{}, err
	}
	if err := m.get(ctx, "/api/v1/message/"+url.PathEscape(id)+"/headers", &msg.Headers); err != nil {
		return Message{}, err
	}
	return msg, nil
}

// Raw returns the message as received, headers and MIME parts included.
func (m *Mailpit) Raw(ctx context.Context, id string) ([]byte, error) {
	return m.fetch(ctx, "/api/v1/message/"+url.PathEscape(id)+"/raw")
}

func (m *Mailpit) get(ctx context.Context, path string, v any) error {
	body, err := m.fetch(ctx, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("mailpit GET %s: decode: %w", path, err)
	}
	return nil
}

func (m *Mailpit) fetch(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.APIURL+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mailpit GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("mailpit GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("mailpit GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(body))
	}
	return body, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects the process output, written from exec's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
