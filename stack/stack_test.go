package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
)

const repoRoot = ".."

func TestEnsureToolsIsIdempotent(t *testing.T) {
	ctx := t.Context()
	// The first call installs whatever is missing, which may take minutes.
	if _, err := EnsureTools(ctx, repoRoot, t.Output()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	tools, err := EnsureTools(ctx, repoRoot, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("second EnsureTools took %s, want it instant", took)
	}
	for _, path := range []string{tools.Temporal, tools.Mailpit, tools.Workflowcheck} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", path)
		}
	}
}

// newStack is a stack on free ports and a fresh data directory, stopped
// when the test ends.
func newStack(t *testing.T, dataDir string, ports Ports) *Stack {
	t.Helper()
	s, err := New(t.Context(), Options{RepoRoot: repoRoot, DataDir: dataDir, Ports: ports, Headless: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

func freePortsT(t *testing.T) Ports {
	t.Helper()
	ports, err := FreePorts()
	if err != nil {
		t.Fatal(err)
	}
	return ports
}

func TestTemporalRestartKeepsData(t *testing.T) {
	ctx := t.Context()
	dataDir := t.TempDir()
	ports := freePortsT(t)

	first := newStack(t, dataDir, ports)
	if err := first.StartTemporal(ctx); err != nil {
		t.Fatal(err)
	}
	c := dial(t, first)
	assertSearchAttributes(t, c)
	// A workflow of a type no worker serves stays running, a marker that
	// the namespace's data survives the restart.
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "restart-marker", TaskQueue: "stack-test"}, "NoSuchWorkflow")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()

	procs := first.Processes()
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	assertGone(t, procs)

	second := newStack(t, dataDir, ports)
	if err := second.StartTemporal(ctx); err != nil {
		t.Fatal(err)
	}
	c = dial(t, second)
	defer c.Close()
	assertSearchAttributes(t, c)
	desc, err := c.DescribeWorkflowExecution(ctx, "restart-marker", run.GetRunID())
	if err != nil {
		t.Fatalf("workflow started before the restart: %v", err)
	}
	if got := desc.GetWorkflowExecutionInfo().GetStatus(); got != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Errorf("marker workflow status = %s, want running", got)
	}
}

func dial(t *testing.T, s *Stack) client.Client {
	t.Helper()
	c, err := s.Client(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func assertSearchAttributes(t *testing.T, c client.Client) {
	t.Helper()
	resp, err := c.OperatorService().ListSearchAttributes(t.Context(), &operatorservice.ListSearchAttributesRequest{Namespace: Namespace})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]enumspb.IndexedValueType{
		"OnboardingStatus":          enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"OnboardingStatusChangedAt": enumspb.INDEXED_VALUE_TYPE_DATETIME,
	}
	for name, typ := range want {
		if got := resp.GetCustomAttributes()[name]; got != typ {
			t.Errorf("search attribute %s: %s, want %s", name, got, typ)
		}
	}
}

func assertGone(t *testing.T, procs []*Process) {
	t.Helper()
	if len(procs) == 0 {
		t.Fatal("no processes recorded")
	}
	for _, p := range procs {
		if err := syscall.Kill(-p.Pid(), 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (process group %d) still exists after Stop: %v", p.Name, p.Pid(), err)
		}
	}
}

func TestMailpitAcceptsMail(t *testing.T) {
	ports := freePortsT(t)
	s := newStack(t, t.TempDir(), ports)
	if err := s.StartMailpit(t.Context()); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports.MailpitSMTP))
	msg := "Subject: hello\r\n\r\nbody\r\n"
	if err := smtp.SendMail(addr, nil, "shop@example.com", []string{"partner@example.com"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/messages", ports.MailpitHTTP))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"Subject":"hello"`) {
		t.Errorf("Mailpit messages = %s, want the one sent", body)
	}
	procs := s.Processes()
	s.Stop()
	assertGone(t, procs)
}

func TestStartProcessReportsEarlyExitWithLog(t *testing.T) {
	s := newStack(t, t.TempDir(), freePortsT(t))
	err := s.StartProcess(t.Context(), ProcessSpec{
		Name:  "broken",
		Path:  "/bin/sh",
		Args:  []string{"-c", "echo cannot open database; exit 3"},
		Ready: func(context.Context) error { return errors.New("not yet") },
	})
	if err == nil || !strings.Contains(err.Error(), "cannot open database") || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("err = %v, want it to name the process and show its log", err)
	}
}

func TestWaitReportsUnexpectedExit(t *testing.T) {
	s := newStack(t, t.TempDir(), freePortsT(t))
	err := s.StartProcess(t.Context(), ProcessSpec{Name: "short", Path: "/bin/sh", Args: []string{"-c", "sleep 0.2; echo bye"}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "short exited") {
			t.Fatalf("Wait = %v, want the exit of short", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after a process exited")
	}
}

func TestStopEndsProcessThatIgnoresSIGTERM(t *testing.T) {
	dataDir := t.TempDir()
	s := newStack(t, dataDir, freePortsT(t))
	err := s.StartProcess(t.Context(), ProcessSpec{
		Name: "stubborn",
		Path: "/bin/sh",
		Args: []string{"-c", "trap '' TERM; echo trapped; sleep 600 & wait"},
		Ready: func(context.Context) error {
			b, _ := os.ReadFile(filepath.Join(dataDir, "logs", "stubborn.log"))
			if !strings.Contains(string(b), "trapped") {
				return errors.New("not trapping yet")
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.grace = time.Second
	procs := s.Processes()
	start := time.Now()
	if err := s.Stop(); err == nil {
		t.Error("Stop = nil, want it to say the process was killed")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Stop took %s", took)
	}
	assertGone(t, procs)
	if err := s.Wait(); err != nil {
		t.Errorf("Wait after Stop = %v, want nil", err)
	}
}

func TestDataDirInUseIsRefused(t *testing.T) {
	dataDir := t.TempDir()
	newStack(t, dataDir, freePortsT(t))
	_, err := New(t.Context(), Options{RepoRoot: repoRoot, DataDir: dataDir, Ports: freePortsT(t)})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second stack on one data directory: err = %v, want it refused", err)
	}
}

func TestPortInUseIsNamed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ports := freePortsT(t)
	ports.Temporal = l.Addr().(*net.TCPAddr).Port
	s := newStack(t, t.TempDir(), ports)
	err = s.StartTemporal(t.Context())
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(ports.Temporal)) || !errors.Is(err, ErrPortInUse) {
		t.Fatalf("err = %v, want ErrPortInUse naming port %d", err, ports.Temporal)
	}
}

func TestFreePortsAreBelowTheEphemeralRange(t *testing.T) {
	ports, err := freePorts(50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p >= ephemeralLow() || p < 1024 || seen[p] {
			t.Errorf("port %d: want distinct ports below %d, where listeners on port 0 never land", p, ephemeralLow())
		}
		seen[p] = true
	}
}

// TestStartWholeProduct starts every part, as `make run` does, on free ports.
func TestStartWholeProduct(t *testing.T) {
	for _, dir := range []string{"worker", "starter", "standin"} {
		if files, _ := filepath.Glob(filepath.Join(repoRoot, dir, "*.go")); len(files) == 0 {
			t.Skipf("the product has no %s/ yet; TestStartWithFakeProduct covers the stack", dir)
		}
	}
	exerciseStack(t, repoRoot)
}

// TestStartWithFakeProduct runs Start on a copy of the module whose worker,
// starter and stand-in are small fakes that honour the same contract, so
// that the stack is tested apart from the product.
func TestStartWithFakeProduct(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(root, os.DirFS("testdata/fakeproduct")); err != nil {
		t.Fatal(err)
	}
	tools, err := filepath.Abs(filepath.Join(repoRoot, ".tools"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(tools, filepath.Join(root, ".tools")); err != nil {
		t.Fatal(err)
	}
	exerciseStack(t, root)
}

// exerciseStack starts the stack of the module at root with its Web UI,
// checks its parts answer, stops it, starts it again on the same data, and
// checks that Wait reports a process that dies.
func exerciseStack(t *testing.T, root string) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	dataDir := t.TempDir()
	opts := Options{RepoRoot: root, DataDir: dataDir, Ports: freePortsT(t), Log: t.Output(),
		Env: map[string]string{"SALES_CHECK_INTERVAL": "2s"}}

	start := time.Now()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	t.Logf("first start: %s", time.Since(start))
	procs := s.Processes()
	if len(procs) != 6 {
		t.Errorf("%d processes, want 6", len(procs))
	}
	u := s.URLs()
	for _, url := range []string{u.TemporalUI, u.MailpitUI, u.SellerPage, u.CodecServer + "/healthz"} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", url, resp.Status)
		}
	}
	if err := s.Stop(); err != nil {
		t.Error(err)
	}
	assertGone(t, procs)

	start = time.Now()
	s, err = Start(ctx, opts)
	if err != nil {
		t.Fatalf("second start on the same data: %v", err)
	}
	t.Cleanup(func() { s.Stop() })
	t.Logf("second start: %s", time.Since(start))

	procs = s.Processes()
	worker := procs[slices.IndexFunc(procs, func(p *Process) bool { return p.Name == "worker" })]
	if err := syscall.Kill(worker.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(); err == nil || !strings.Contains(err.Error(), "worker exited") {
		t.Errorf("Wait = %v, want the worker's exit", err)
	}
}
