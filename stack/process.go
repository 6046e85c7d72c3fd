package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProcessSpec describes one process of the stack and how to tell it is ready.
type ProcessSpec struct {
	Name string   // short name: log file name and log prefix
	Path string   // binary
	Args []string // arguments after the binary
	// Env is added to the environment of the stack's owner, from which
	// TEMPORAL_* variables are removed so that a developer's own Temporal
	// profile cannot point the local stack elsewhere.
	Env []string
	// Ports are checked to be free before the start, with their uses.
	Ports map[string]int
	// Ready is polled until it returns nil. It may be nil: ready at once.
	Ready func(ctx context.Context) error
	// ReadyTimeout bounds the wait for Ready; default 60s.
	ReadyTimeout time.Duration
}

// Process is a running process of the stack.
type Process struct {
	Name    string
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	err     error         // its exit error, once done
	stopped bool          // set before a Stop signals it: its exit is expected
	mu      sync.Mutex
}

// Pid is the process ID, which is also its process group ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

func (p *Process) expected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

// exitError describes an exit with the tail of the process's log.
func (p *Process) exitError() error {
	return fmt.Errorf("%s exited (%v); last lines of %s:\n%s", p.Name, p.err, p.LogPath, tail(p.LogPath, 20))
}

// stop sends SIGTERM to the process group, waits up to grace, then kills it.
func (p *Process) stop(grace time.Duration) error {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	select {
	case <-p.done:
		return nil
	default:
	}
	pgid := p.Pid()
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s: %w", p.Name, err)
	}
	var err error
	select {
	case <-p.done:
	case <-time.After(grace):
		err = fmt.Errorf("%s did not stop within %s of SIGTERM and was killed", p.Name, grace)
	}
	// Children that outlived the leader go too, so that none keeps a port.
	syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
	waitGroupGone(pgid, 2*time.Second)
	return err
}

// kill ends the process group at once with SIGKILL.
func (p *Process) kill() error {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	pgid := p.Pid()
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s: %w", p.Name, err)
	}
	<-p.done
	waitGroupGone(pgid, 2*time.Second)
	return nil
}

// waitGroupGone waits, up to limit, until the killed members of a process
// group have been reaped by whoever inherited them.
func waitGroupGone(pgid int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for syscall.Kill(-pgid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

// startProcess starts spec with its output in logDir/<name>.log (and a
// prefixed copy in console, when set) and waits until it is ready.
func startProcess(ctx context.Context, spec ProcessSpec, logDir string, console io.Writer) (*Process, error) {
	if err := checkFree(spec.Ports); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(logDir, spec.Name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	var out io.Writer = logFile
	var prefixed *prefixWriter
	if console != nil {
		prefixed = &prefixWriter{prefix: fmt.Sprintf("%-8s | ", spec.Name), w: console}
		out = io.MultiWriter(logFile, prefixed)
	}

	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env = append(processEnv(), spec.Env...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	// Output is copied through a pipe when console is set; a grandchild
	// holding that pipe open must not keep Wait from returning.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	p := &Process{Name: spec.Name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		if prefixed != nil {
			prefixed.flush()
		}
		logFile.Close()
		close(p.done)
	}()

	if err := waitReady(ctx, p, spec); err != nil {
		p.stop(5 * time.Second)
		return nil, err
	}
	return p, nil
}

func waitReady(ctx context.Context, p *Process, spec ProcessSpec) error {
	if spec.Ready == nil {
		return nil
	}
	timeout := spec.ReadyTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
		last = spec.Ready(attempt)
		cancelAttempt()
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return p.exitError()
		case <-ctx.Done():
			if parent.Err() != nil {
				return fmt.Errorf("start %s: %w", p.Name, parent.Err())
			}
			return fmt.Errorf("%s not ready within %s: %v; last lines of %s:\n%s", p.Name, timeout, last, p.LogPath, tail(p.LogPath, 20))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// processEnv is the owner's environment without TEMPORAL_* variables.
func processEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TEMPORAL_") {
			env = append(env, kv)
		}
	}
	return env
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}

// lockedWriter serialises the processes' writes to one console.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// prefixWriter writes whole lines, each with a prefix, so that the output
// of several processes interleaves by line.
type prefixWriter struct {
	prefix string
	w      io.Writer
	mu     sync.Mutex
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		p.w.Write([]byte(p.prefix + string(p.buf[:i+1])))
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

func (p *prefixWriter) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		p.w.Write([]byte(p.prefix + string(p.buf) + "\n"))
		p.buf = nil
	}
}
