package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/partner-onboarding/onboarding/stack"
)

// localStack is the stack that -start runs for the measurement.
type localStack struct {
	s *stack.Stack
}

// startStack starts the whole product on free ports in a fresh data
// directory and points cfg at it. Sales checks wait an hour, so that every
// request is moved by its webhooks, which is what is measured.
func startStack(ctx context.Context, cfg *config) (*localStack, error) {
	root, err := stack.FindRepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "onboarding-load-")
	if err != nil {
		return nil, err
	}
	// Mailpit keeps only its newest 500 messages unless told otherwise; it
	// inherits this environment, and a run of more than 250 requests needs
	// every one of its emails for the check.
	if err := os.Setenv("MP_MAX_MESSAGES", "0"); err != nil {
		return nil, err
	}
	fmt.Printf("starting the stack in %s ...\n", dir)
	began := time.Now()
	s, err := stack.StartOnFreePorts(ctx, stack.Options{
		RepoRoot: root,
		DataDir:  dir,
		Headless: true,
		Env:      map[string]string{"SALES_CHECK_INTERVAL": "1h"},
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start the stack: %w", err)
	}
	fmt.Printf("stack ready in %s\n", time.Since(began).Round(100*time.Millisecond))
	cfg.intake = fmt.Sprintf("http://127.0.0.1:%d", s.Ports.Starter)
	cfg.standin = fmt.Sprintf("http://127.0.0.1:%d", s.Ports.Standin)
	cfg.mailpit = fmt.Sprintf("http://127.0.0.1:%d", s.Ports.MailpitHTTP)
	cfg.temporal = s.URLs().TemporalAddress
	return &localStack{s: s}, nil
}

// stop stops the stack and removes its data, which it keeps, with the
// processes' logs, when the check failed.
func (l *localStack) stop(ok bool) {
	if err := l.s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop the stack:", err)
	}
	if ok {
		os.RemoveAll(l.s.DataDir)
		return
	}
	fmt.Printf("kept the stack's data and logs in %s\n", l.s.DataDir)
}

// printPeakRSS prints each process's peak resident memory (VmHWM) and the
// CPU time it used since its start, which tells where the time of a run went.
func (l *localStack) printPeakRSS(w io.Writer) {
	fmt.Fprintf(w, "\n%-9s %14s %14s\n", "process", "peak RSS MiB", "CPU s")
	for _, p := range l.s.Processes() {
		kb, err := peakRSS(p.Pid())
		if err != nil {
			fmt.Fprintf(w, "%-9s %v\n", p.Name, err)
			continue
		}
		cpu, err := cpuTime(p.Pid())
		if err != nil {
			fmt.Fprintf(w, "%-9s %v\n", p.Name, err)
			continue
		}
		fmt.Fprintf(w, "%-9s %14.1f %14.1f\n", p.Name, float64(kb)/1024, cpu.Seconds())
	}
	var self syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil {
		cpu := time.Duration(self.Utime.Nano() + self.Stime.Nano())
		fmt.Fprintf(w, "%-9s %14.1f %14.1f\n", "load", float64(self.Maxrss)/1024, cpu.Seconds())
	}
}

// cpuTime reads a process's user and system time from /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, may hold spaces: count fields after it.
	_, rest, ok := strings.Cut(string(b), ") ")
	fields := strings.Fields(rest)
	if !ok || len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime and stime, fields 14 and 15
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	// USER_HZ is 100 on every Linux the product runs on.
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// peakRSS reads VmHWM, in KiB, from /proc/<pid>/status (Linux only).
func peakRSS(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err != nil {
				return 0, fmt.Errorf("VmHWM %q: %w", v, err)
			}
			return kb, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
