// Package stack starts and stops the whole local product as plain
// processes: the Temporal dev server, Mailpit, the codec server, the Sales
// stand-in, the worker and the starter. It serves the developer's `make run` and the
// integration tests alike.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/partner-onboarding/onboarding/codec"
	"github.com/partner-onboarding/onboarding/workflows"
)

// Namespace is the Temporal namespace of the local stack.
const Namespace = "default"

// DefaultWebhookKey is the key the stand-in sends with its Sales hooks and
// the starter accepts, when Options.WebhookKey is empty.
const DefaultWebhookKey = "local-webhook-key"

// DefaultIntakeKey is the intake's API key on the local stack, when
// Options.IntakeKey is empty: a development key, never one for production.
const DefaultIntakeKey = "local-intake-key"

// The local stack's intake lets one key call as fast as the load command
// and the tests do, far faster than a B2B site; Options.Env overrides it.
const localIntakeRate = "100000"

// Sales credentials the stand-in accepts and the worker and starter use.
const (
	salesClientID     = "onboarding-worker"
	salesClientSecret = "local-secret"
)

// stopGrace is how long a process has to stop after SIGTERM before it is
// killed; the worker needs a moment to finish the activity it runs.
const stopGrace = 15 * time.Second

// Options configure a stack.
type Options struct {
	RepoRoot string // the directory holding go.mod
	// DataDir keeps temporal.db, mailpit.db, commerce.db, standin/, the
	// built binaries (bin/) and one log file per process (logs/), so that a
	// second start on it keeps every request.
	DataDir  string
	Ports    Ports
	Headless bool      // no Temporal Web UI, for tests
	Log      io.Writer // when set, gets a copy of every process's output, prefixed with its name
	// Env is extra environment for the standin, worker and starter, e.g.
	// SALES_CHECK_INTERVAL=2s; it overrides what the stack sets.
	Env        map[string]string
	WebhookKey string // default DefaultWebhookKey
	IntakeKey  string // default DefaultIntakeKey
	// TemporalDynamicConfig sets the dev server's dynamic config values,
	// such as limit.historyCount.suggestContinueAsNew.
	TemporalDynamicConfig map[string]string
}

// URLs are where a developer reaches the local stack.
type URLs struct {
	TemporalUI      string // empty when headless
	TemporalAddress string // gRPC host:port for SDK clients and the temporal CLI
	MailpitUI       string
	CodecServer     string // the CLI's --codec-endpoint
	SellerPage      string // the Sales stand-in's page for sellers
	Intake          string // POST onboarding requests here, with IntakeKey
	IntakeKey       string // the intake's API key: Authorization: Bearer <IntakeKey>
	Webhooks        string // the starter's Sales webhook receiver
	WorkerMetrics   string // the worker's Prometheus metrics
	StarterMetrics  string // the starter's Prometheus metrics
}

// Stack is a set of running processes, stopped together by Stop.
type Stack struct {
	Ports   Ports
	DataDir string // absolute
	Tools   Tools

	opts     Options
	console  io.Writer
	mu       sync.Mutex
	procs    []*Process
	failOnce sync.Once
	failed   chan struct{} // closed at the first unexpected exit
	failErr  error
	stopOnce sync.Once
	stopping chan struct{}
	stopErr  error
	grace    time.Duration // stopGrace, shorter in tests
	unlock   func()        // releases DataDir

	dataConverter converter.DataConverter // with the keys of PayloadKeysFile
}

// Start ensures the tools, builds the worker, the starter and the stand-in,
// and starts the whole stack in order, each process ready before the next
// starts. ctx bounds the start only: the processes run until Stop. On an
// error, whatever was started is stopped again.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	s, err := New(ctx, opts)
	if err != nil {
		return nil, err
	}
	// Fail before the build, rather than after it, on a port in use.
	if err := checkFree(s.portUses()); err != nil {
		s.Stop()
		return nil, err
	}
	steps := []func(context.Context) error{s.Build, s.StartTemporal, s.StartMailpit, s.StartCodecServer, s.StartStandin, s.StartWorker, s.StartStarter}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

// StartOnFreePorts starts a stack like Start, on ports that FreePorts picks
// (opts.Ports is ignored). Stacks of tests that run at the same time pick at
// random from one range, so when another process took one of the ports
// first, it picks again.
func StartOnFreePorts(ctx context.Context, opts Options) (*Stack, error) {
	var err error
	for range 3 {
		if opts.Ports, err = FreePorts(); err != nil {
			return nil, err
		}
		var s *Stack
		if s, err = Start(ctx, opts); !errors.Is(err, ErrPortInUse) {
			return s, err
		}
	}
	return nil, err
}

// New ensures the tools and the data directory and returns a stack with no
// process running yet; its Start methods add the parts one by one.
func New(ctx context.Context, opts Options) (*Stack, error) {
	if opts.RepoRoot == "" {
		return nil, errors.New("stack: Options.RepoRoot is required")
	}
	if opts.DataDir == "" {
		return nil, errors.New("stack: Options.DataDir is required")
	}
	if opts.Ports == (Ports{}) {
		opts.Ports = DefaultPorts()
	}
	if opts.WebhookKey == "" {
		opts.WebhookKey = DefaultWebhookKey
	}
	if opts.IntakeKey == "" {
		opts.IntakeKey = DefaultIntakeKey
	}
	var err error
	if opts.RepoRoot, err = filepath.Abs(opts.RepoRoot); err != nil {
		return nil, err
	}
	if opts.DataDir, err = filepath.Abs(opts.DataDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	s := &Stack{
		Ports:    opts.Ports,
		DataDir:  opts.DataDir,
		opts:     opts,
		failed:   make(chan struct{}),
		stopping: make(chan struct{}),
		grace:    stopGrace,
	}
	if opts.Log != nil {
		s.console = &lockedWriter{w: opts.Log}
	}
	if s.Tools, err = EnsureTools(ctx, opts.RepoRoot, opts.Log); err != nil {
		return nil, err
	}
	keys, err := ensurePayloadKeys(opts.DataDir)
	if err != nil {
		return nil, err
	}
	if s.dataConverter, err = codec.NewDataConverter(keys); err != nil {
		return nil, err
	}
	// Two Temporal servers on one SQLite file would corrupt it.
	unlock, ok, err := tryLock(filepath.Join(opts.DataDir, ".stack.lock"))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("data directory %s is in use by another running stack: stop it first", opts.DataDir)
	}
	s.unlock = unlock
	return s, nil
}

func (s *Stack) portUses() map[string]int {
	p := s.Ports
	uses := map[string]int{
		"Temporal gRPC": p.Temporal, "Mailpit SMTP": p.MailpitSMTP, "Mailpit UI": p.MailpitHTTP,
		"Sales stand-in": p.Standin, "starter": p.Starter, "starter's webhooks": p.Webhooks, "worker's metrics": p.WorkerOps, "starter's metrics": p.StarterOps,
		"codec server": p.CodecServer,
	}
	if !s.opts.Headless {
		uses["Temporal UI"] = p.TemporalUI
	}
	return uses
}

func (s *Stack) binDir() string { return filepath.Join(s.DataDir, "bin") }

// Build builds the worker, the starter, the stand-in and the codec server
// into DataDir/bin with one go build, which shares the work between them.
func (s *Stack) Build(ctx context.Context) error {
	if err := os.MkdirAll(s.binDir(), 0o755); err != nil {
		return err
	}
	s.say("building worker, starter, standin and codecserver")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", s.binDir()+string(filepath.Separator), "./worker", "./starter", "./standin", "./codecserver")
	cmd.Dir = s.opts.RepoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build: %w\n%s", err, out)
	}
	return nil
}

// StartTemporal starts the Temporal dev server on DataDir/temporal.db and
// waits until the namespace answers with the project's search attributes.
func (s *Stack) StartTemporal(ctx context.Context) error {
	p := s.Ports
	args := []string{"server", "start-dev",
		"--ip", "127.0.0.1",
		// Its HTTP API, metrics and internal service ports are random free
		// ones, so stacks on different Ports run side by side.
		"--port", strconv.Itoa(p.Temporal),
		"--db-filename", filepath.Join(s.DataDir, "temporal.db"),
		"--namespace", Namespace,
		// WAL and normal sync double the workflow throughput on SQLite.
		"--sqlite-pragma", "journal_mode=wal",
		"--sqlite-pragma", "synchronous=normal",
		"--log-level", "warn",
	}
	if s.opts.Headless {
		args = append(args, "--headless")
	} else {
		args = append(args, "--ui-ip", "127.0.0.1", "--ui-port", strconv.Itoa(p.TemporalUI),
			// The UI decodes payloads through the codec server (StartCodecServer).
			"--ui-codec-endpoint", s.CodecEndpoint())
	}
	for _, sa := range workflows.SearchAttributeFlags() {
		args = append(args, "--search-attribute", sa)
	}
	dynamic := map[string]string{
		// A worker that completes a workflow task takes the activities it
		// schedules at once, without a round trip through the task queue.
		"system.enableActivityEagerExecution": "true",
		// One server with a few workers: one partition per task queue
		// matches every task to a waiting poller; four (the default, for
		// spreading a busy queue over a cluster's matching hosts) leave
		// tasks waiting in one partition while pollers wait in another.
		"matching.numTaskqueueReadPartitions":  "1",
		"matching.numTaskqueueWritePartitions": "1",
	}
	maps.Copy(dynamic, s.opts.TemporalDynamicConfig)
	for _, k := range slices.Sorted(maps.Keys(dynamic)) {
		args = append(args, "--dynamic-config-value", k+"="+dynamic[k])
	}
	ports := map[string]int{"Temporal gRPC": p.Temporal}
	if !s.opts.Headless {
		ports["Temporal UI"] = p.TemporalUI
	}
	return s.StartProcess(ctx, ProcessSpec{
		Name:  "temporal",
		Path:  s.Tools.Temporal,
		Args:  args,
		Ports: ports,
		Ready: s.temporalReady,
	})
}

func (s *Stack) temporalReady(ctx context.Context) error {
	c, err := s.Client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return err
	}
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: Namespace}); err != nil {
		return fmt.Errorf("describe namespace %s: %w", Namespace, err)
	}
	if err := ensureSearchAttributes(ctx, c); err != nil {
		return err
	}
	if !s.opts.Headless {
		return httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/", s.Ports.TemporalUI))
	}
	return nil
}

// ensureSearchAttributes registers the project's search attributes that
// the namespace lacks: the dev server registers them from its flags, but a
// database made by an older version of the project may miss newer ones.
func ensureSearchAttributes(ctx context.Context, c client.Client) error {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: Namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, flag := range workflows.SearchAttributeFlags() {
		name, typ, _ := strings.Cut(flag, "=")
		want, ok := enumspb.IndexedValueType_value["INDEXED_VALUE_TYPE_"+strings.ToUpper(typ)]
		if !ok {
			return fmt.Errorf("search attribute %s: unknown type %q", name, typ)
		}
		got, ok := resp.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = enumspb.IndexedValueType(want)
		case got != enumspb.IndexedValueType(want):
			return fmt.Errorf("search attribute %s is registered as %s, the project needs %s: remove temporal.db from the data directory to start afresh", name, got, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: Namespace, SearchAttributes: missing})
	if err != nil {
		return fmt.Errorf("add search attributes %v: %w", slices.Sorted(maps.Keys(missing)), err)
	}
	return errors.New("search attributes added; waiting for them to be visible")
}

// StartMailpit starts Mailpit on DataDir/mailpit.db, accepting any SMTP
// client as the worker's local configuration has neither TLS nor auth.
func (s *Stack) StartMailpit(ctx context.Context) error {
	p := s.Ports
	return s.StartProcess(ctx, ProcessSpec{
		Name: "mailpit",
		Path: s.Tools.Mailpit,
		Args: []string{
			"--smtp", fmt.Sprintf("127.0.0.1:%d", p.MailpitSMTP),
			"--listen", fmt.Sprintf("127.0.0.1:%d", p.MailpitHTTP),
			"--database", filepath.Join(s.DataDir, "mailpit.db"),
			"--smtp-auth-accept-any", "--smtp-auth-allow-insecure",
			// Loopback only: no reverse DNS, no release check on the network.
			"--smtp-disable-rdns", "--disable-version-check",
		},
		Ports: map[string]int{"Mailpit SMTP": p.MailpitSMTP, "Mailpit UI": p.MailpitHTTP},
		Ready: func(ctx context.Context) error {
			return httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/api/v1/info", p.MailpitHTTP))
		},
	})
}

// StartStandin starts the Sales stand-in built by Build.
func (s *Stack) StartStandin(ctx context.Context) error {
	p := s.Ports
	return s.StartProcess(ctx, ProcessSpec{
		Name: "standin",
		Path: filepath.Join(s.binDir(), "standin"),
		Env: s.withOptsEnv([]string{
			fmt.Sprintf("STANDIN_ADDR=127.0.0.1:%d", p.Standin),
			"STANDIN_DATA_DIR=" + filepath.Join(s.DataDir, "standin"),
			fmt.Sprintf("STANDIN_WEBHOOK_URL=http://127.0.0.1:%d/v1/hooks/dataverse", p.Webhooks),
			"STANDIN_WEBHOOK_KEY=" + s.opts.WebhookKey,
			"STANDIN_CLIENT_ID=" + salesClientID,
			"STANDIN_CLIENT_SECRET=" + salesClientSecret,
		}),
		Ports: map[string]int{"Sales stand-in": p.Standin},
		Ready: func(ctx context.Context) error {
			return httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/healthz", p.Standin))
		},
	})
}

// StartWorker starts the worker built by Build and waits until it polls
// the onboarding task queue.
func (s *Stack) StartWorker(ctx context.Context) error {
	return s.StartWorkerNamed(ctx, "worker", s.Ports.WorkerOps)
}

// StartWorkerNamed starts one more worker, under its own name and with its
// metrics on opsPort, as a deployment with several workers has.
func (s *Stack) StartWorkerNamed(ctx context.Context, name string, opsPort int) error {
	started := time.Now()
	env := append(s.productEnv(), fmt.Sprintf("OPS_ADDR=127.0.0.1:%d", opsPort))
	return s.StartProcess(ctx, ProcessSpec{
		Name:  name,
		Path:  filepath.Join(s.binDir(), "worker"),
		Env:   s.withOptsEnv(env),
		Ports: map[string]int{name + "'s metrics": opsPort},
		Ready: func(ctx context.Context) error {
			return s.pollerSince(ctx, started)
		},
	})
}

// pollerSince succeeds once a worker polled the workflow task queue after
// since: the server remembers the pollers of an earlier run for minutes.
func (s *Stack) pollerSince(ctx context.Context, since time.Time) error {
	c, err := s.Client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	resp, err := c.DescribeTaskQueue(ctx, workflows.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return err
	}
	for _, poller := range resp.GetPollers() {
		if poller.GetLastAccessTime().AsTime().After(since.Add(-time.Second)) {
			return nil
		}
	}
	return fmt.Errorf("no worker polls task queue %s yet", workflows.TaskQueue)
}

// StartStarter starts the starter's HTTP servers built by Build.
func (s *Stack) StartStarter(ctx context.Context) error {
	return s.StartStarterNamed(ctx, "starter", s.Ports.Starter, s.Ports.Webhooks, s.Ports.StarterOps)
}

// StartStarterNamed starts one more starter, under its own name, with its
// intake on port, its webhook receiver on webhookPort and its metrics on
// opsPort.
func (s *Stack) StartStarterNamed(ctx context.Context, name string, port, webhookPort, opsPort int) error {
	env := append(s.productEnv(),
		fmt.Sprintf("STARTER_ADDR=127.0.0.1:%d", port),
		fmt.Sprintf("WEBHOOK_ADDR=127.0.0.1:%d", webhookPort),
		fmt.Sprintf("OPS_ADDR=127.0.0.1:%d", opsPort),
		"WEBHOOK_KEYS="+s.opts.WebhookKey,
		"INTAKE_API_KEYS="+s.opts.IntakeKey,
		"INTAKE_RATE_PER_KEY="+localIntakeRate,
		"INTAKE_BURST_PER_KEY="+localIntakeRate,
	)
	return s.StartProcess(ctx, ProcessSpec{
		Name:  name,
		Path:  filepath.Join(s.binDir(), "starter"),
		Args:  []string{"serve"},
		Env:   s.withOptsEnv(env),
		Ports: map[string]int{name: port, name + "'s webhooks": webhookPort, name + "'s metrics": opsPort},
		Ready: func(ctx context.Context) error {
			if err := httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/healthz", port)); err != nil {
				return err
			}
			return httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/healthz", webhookPort))
		},
	})
}

// productEnv is the environment the worker and the starter share: Temporal,
// the Commerce database, SMTP and Sales.
func (s *Stack) productEnv() []string {
	p := s.Ports
	return []string{
		fmt.Sprintf("TEMPORAL_ADDRESS=127.0.0.1:%d", p.Temporal),
		"TEMPORAL_NAMESPACE=" + Namespace,
		"COMMERCE_DB=" + filepath.Join(s.DataDir, "commerce.db"),
		"SMTP_HOST=127.0.0.1",
		fmt.Sprintf("SMTP_PORT=%d", p.MailpitSMTP),
		"SMTP_TLS=none",
		fmt.Sprintf("SALES_ENVIRONMENT_URL=http://127.0.0.1:%d", p.Standin),
		fmt.Sprintf("SALES_TOKEN_URL=http://127.0.0.1:%d/local/oauth2/v2.0/token", p.Standin),
		"SALES_CLIENT_ID=" + salesClientID,
		"SALES_CLIENT_SECRET=" + salesClientSecret,
		// Reminders of requests that wait long for Sales land in Mailpit.
		"SALES_INBOX=" + LocalSalesInbox,
		"PAYLOAD_KEYS_FILE=" + s.PayloadKeysFile(),
	}
}

// LocalSalesInbox receives the local stack's reminders to the sales team.
const LocalSalesInbox = "sales@shop.example"

// withOptsEnv appends Options.Env, whose entries win over env's.
func (s *Stack) withOptsEnv(env []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(s.opts.Env)) {
		env = append(env, k+"="+s.opts.Env[k])
	}
	return env
}

// SetEnv changes Options.Env for the processes started from now on, so that
// a test can restart one part with another setting (StopProcess, then
// StartWorker, ...).
func (s *Stack) SetEnv(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	env := maps.Clone(s.opts.Env)
	if env == nil {
		env = map[string]string{}
	}
	env[key] = value
	s.opts.Env = env
}

// StartProcess starts one process as part of the stack, waits until it is
// ready, and has Stop stop it and Wait watch it. Tests use it to add
// processes of their own.
func (s *Stack) StartProcess(ctx context.Context, spec ProcessSpec) error {
	select {
	case <-s.stopping:
		return errors.New("stack: stopped")
	default:
	}
	s.say("starting " + spec.Name)
	started := time.Now()
	p, err := startProcess(ctx, spec, filepath.Join(s.DataDir, "logs"), s.console)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	s.say(fmt.Sprintf("%s ready in %s (pid %d, log %s)", spec.Name, time.Since(started).Round(10*time.Millisecond), p.Pid(), p.LogPath))
	go func() {
		<-p.done
		if !p.expected() {
			s.failOnce.Do(func() {
				s.failErr = p.exitError()
				close(s.failed)
			})
		}
	}()
	return nil
}

// StopProcess stops the running process of that name, so that a test can
// take one part of the product away and start it again (StartTemporal, ...).
func (s *Stack) StopProcess(name string) error {
	p, err := s.take(name)
	if err != nil {
		return err
	}
	return p.stop(s.grace)
}

// KillProcess ends the running process of that name with SIGKILL, as a
// crash would: it gets no chance to finish what it was doing.
func (s *Stack) KillProcess(name string) error {
	p, err := s.take(name)
	if err != nil {
		return err
	}
	return p.kill()
}

// take removes the running process of that name from the stack.
func (s *Stack) take(name string) (*Process, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.procs, func(p *Process) bool { return p.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("stack: no running process %q", name)
	}
	p := s.procs[i]
	s.procs = slices.Delete(s.procs, i, i+1)
	return p, nil
}

// Processes returns the running processes in their start order.
func (s *Stack) Processes() []*Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.procs)
}

// Wait returns the error of the first process that exits unexpectedly, or
// nil once Stop has been called.
func (s *Stack) Wait() error {
	select {
	case <-s.failed:
		return s.failErr
	case <-s.stopping:
		return nil
	}
}

// Stop stops the processes in the reverse order of their start, each with
// SIGTERM to its process group and, after a grace period, SIGKILL. It is
// safe to call more than once; later calls return the first call's result.
func (s *Stack) Stop() error {
	s.stopOnce.Do(func() {
		close(s.stopping)
		procs := s.Processes()
		var errs []error
		for _, p := range slices.Backward(procs) {
			if err := p.stop(s.grace); err != nil {
				errs = append(errs, err)
			}
		}
		s.stopErr = errors.Join(errs...)
		s.unlock()
	})
	return s.stopErr
}

// URLs returns where the stack's parts are reached.
func (s *Stack) URLs() URLs {
	p := s.Ports
	u := URLs{
		TemporalAddress: fmt.Sprintf("127.0.0.1:%d", p.Temporal),
		MailpitUI:       fmt.Sprintf("http://127.0.0.1:%d/", p.MailpitHTTP),
		CodecServer:     s.CodecEndpoint(),
		SellerPage:      fmt.Sprintf("http://127.0.0.1:%d/", p.Standin),
		Intake:          fmt.Sprintf("http://127.0.0.1:%d/v1/onboarding-requests", p.Starter),
		IntakeKey:       s.opts.IntakeKey,
		Webhooks:        fmt.Sprintf("http://127.0.0.1:%d/v1/hooks/dataverse", p.Webhooks),
		WorkerMetrics:   fmt.Sprintf("http://127.0.0.1:%d/metrics", p.WorkerOps),
		StarterMetrics:  fmt.Sprintf("http://127.0.0.1:%d/metrics", p.StarterOps),
	}
	if !s.opts.Headless {
		u.TemporalUI = fmt.Sprintf("http://127.0.0.1:%d/", p.TemporalUI)
	}
	return u
}

// Client dials the stack's Temporal namespace with the stack's payload
// keys, as the worker and the starter do; the caller closes it.
func (s *Stack) Client(ctx context.Context) (client.Client, error) {
	return client.DialContext(ctx, client.Options{
		HostPort:      fmt.Sprintf("127.0.0.1:%d", s.Ports.Temporal),
		Namespace:     Namespace,
		Logger:        quietLogger,
		DataConverter: s.dataConverter,
	})
}

// quietLogger keeps the SDK's connection chatter out of the console while
// readiness is polled.
var quietLogger = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

func (s *Stack) say(msg string) {
	if s.console != nil {
		fmt.Fprintf(s.console, "stack    | %s\n", msg)
	}
}

func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// FindRepoRoot is the nearest directory upward from the working directory
// that holds go.mod.
func FindRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found upward from the working directory")
		}
		dir = parent
	}
}
