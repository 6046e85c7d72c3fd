package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
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
// request is moved by its webhooks, which is what is measured. env is
// extra environment of the worker, the starter and the stand-in (-env);
// dynamic sets the dev server's dynamic config.
func startStack(ctx context.Context, cfg *config, env, dynamic map[string]string) (*localStack, error) {
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
	all := map[string]string{"SALES_CHECK_INTERVAL": "1h"}
	maps.Copy(all, env)
	fmt.Printf("starting the stack in %s ...\n", dir)
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Printf("  env %s=%s\n", k, env[k])
	}
	for _, k := range slices.Sorted(maps.Keys(dynamic)) {
		fmt.Printf("  Temporal dev server: --dynamic-config-value %s=%s\n", k, dynamic[k])
	}
	began := time.Now()
	s, err := stack.StartOnFreePorts(ctx, stack.Options{
		RepoRoot:              root,
		DataDir:               dir,
		Headless:              true,
		Env:                   all,
		TemporalDynamicConfig: dynamic,
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start the stack: %w", err)
	}
	fmt.Printf("stack ready in %s\n", time.Since(began).Round(100*time.Millisecond))
	cfg.intake = fmt.Sprintf("http://127.0.0.1:%d", s.Ports.Starter)
	cfg.key = s.URLs().IntakeKey
	cfg.standin = fmt.Sprintf("http://127.0.0.1:%d", s.Ports.Standin)
	cfg.mailpit = fmt.Sprintf("http://127.0.0.1:%d", s.Ports.MailpitHTTP)
	cfg.temporal = s.URLs().TemporalAddress
	payloadConverter = s.DataConverter()
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

// procStat is one process's memory and CPU time, from /proc.
type procStat struct {
	name            string
	pid             int
	rssMiB, peakMiB float64 // VmRSS now, VmHWM: the most it ever held
	cpu             time.Duration
	err             error
}

// stat reads a process's memory and CPU time (Linux only).
func stat(name string, pid int) procStat {
	st := procStat{name: name, pid: pid}
	mem, err := memory(pid)
	if err != nil {
		st.err = err
		return st
	}
	st.rssMiB, st.peakMiB = float64(mem["VmRSS"])/1024, float64(mem["VmHWM"])/1024
	st.cpu, st.err = cpuTime(pid)
	return st
}

// stats reads every running process of the stack, and the load command itself.
func (l *localStack) stats() []procStat {
	var all []procStat
	for _, p := range l.s.Processes() {
		all = append(all, stat(p.Name, p.Pid()))
	}
	var self syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil {
		cpu := time.Duration(self.Utime.Nano() + self.Stime.Nano())
		st := stat("load", os.Getpid())
		st.cpu, st.err = cpu, nil
		all = append(all, st)
	}
	return all
}

// productStats reads the worker's and the starter's memory.
func (l *localStack) productStats() []procStat {
	var st []procStat
	for _, name := range []string{"worker", "starter"} {
		if p := l.process(name); p != nil {
			st = append(st, stat(name, p.Pid()))
		}
	}
	return st
}

// process is the running process of that name, or nil.
func (l *localStack) process(name string) *stack.Process {
	for _, p := range l.s.Processes() {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// printStats prints each process's peak resident memory (VmHWM) and the
// CPU time it used since its start, which tells where the time of a run
// went. The floor's worker runs in the load command's process.
func printStats(w io.Writer, stats []procStat) {
	fmt.Fprintf(w, "\n%-9s %14s %14s\n", "process", "peak RSS MiB", "CPU s")
	for _, p := range stats {
		if p.err != nil {
			fmt.Fprintf(w, "%-9s %v\n", p.name, p.err)
			continue
		}
		fmt.Fprintf(w, "%-9s %14.1f %14.1f\n", p.name, p.peakMiB, p.cpu.Seconds())
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

// memory reads the Vm* lines of /proc/<pid>/status, in KiB (Linux only).
func memory(pid int) (map[string]int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	kb := map[string]int{}
	for line := range strings.Lines(string(b)) {
		name, v, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(name, "Vm") {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &n); err != nil {
			return nil, fmt.Errorf("%s %q: %w", name, v, err)
		}
		kb[name] = n
	}
	if _, ok := kb["VmHWM"]; !ok {
		return nil, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
	}
	return kb, nil
}
