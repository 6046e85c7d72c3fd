package stack

import (
	"context"
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Tools holds the absolute paths of the project's tool binaries.
type Tools struct {
	Temporal      string // Temporal CLI: the local dev server and the operators' CLI
	Mailpit       string // SMTP sink with an inbox UI and a REST API
	Workflowcheck string // determinism linter for workflow code
}

// tool is one pinned tool. Versions are pinned because later Temporal CLI
// versions carry a replace directive and no longer install with go install.
type tool struct {
	name    string
	pkg     string
	version string
	note    string // printed before a slow install so nobody thinks it hangs
}

var pinnedTools = []tool{
	{name: "temporal", pkg: "github.com/temporalio/cli/cmd/temporal", version: "v1.5.1",
		note: "the first install of the Temporal CLI takes about 3 minutes"},
	{name: "mailpit", pkg: "github.com/axllent/mailpit", version: "v1.33.1"},
	{name: "workflowcheck", pkg: "go.temporal.io/sdk/contrib/tools/workflowcheck", version: "v0.6.0"},
}

// ToolsDir is where EnsureTools installs, relative to the repository root.
const ToolsDir = ".tools/bin"

// EnsureTools installs every pinned tool that is missing from
// <repoRoot>/.tools/bin, or present at another version, with go install, and
// returns their paths. When all are present it only reads their build info.
func EnsureTools(ctx context.Context, repoRoot string, log io.Writer) (Tools, error) {
	if log == nil {
		log = io.Discard
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return Tools{}, err
	}
	bin := filepath.Join(root, ToolsDir)
	paths := make(map[string]string, len(pinnedTools))
	var missing []tool
	for _, t := range pinnedTools {
		paths[t.name] = filepath.Join(bin, t.name)
		if !installed(paths[t.name], t) {
			missing = append(missing, t)
		}
	}
	tools := Tools{Temporal: paths["temporal"], Mailpit: paths["mailpit"], Workflowcheck: paths["workflowcheck"]}
	if len(missing) == 0 {
		return tools, nil
	}

	if err := os.MkdirAll(bin, 0o755); err != nil {
		return Tools{}, err
	}
	// A lock, so that a `make test` and a `make run` started together do not
	// both spend minutes building the same tool.
	unlock, err := lockFile(ctx, filepath.Join(bin, ".install.lock"), log)
	if err != nil {
		return Tools{}, err
	}
	defer unlock()
	for _, t := range missing {
		if installed(paths[t.name], t) { // installed by whoever held the lock
			continue
		}
		msg := fmt.Sprintf("installing %s@%s into %s", t.pkg, t.version, bin)
		if t.note != "" {
			msg += " (" + t.note + ")"
		}
		fmt.Fprintln(log, msg)
		start := time.Now()
		cmd := exec.CommandContext(ctx, "go", "install", t.pkg+"@"+t.version)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOBIN="+bin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return Tools{}, fmt.Errorf("go install %s@%s: %w\n%s", t.pkg, t.version, err, out)
		}
		fmt.Fprintf(log, "installed %s in %s\n", t.name, time.Since(start).Round(time.Second))
	}
	return tools, nil
}

// installed reports whether path is a binary built from t's pinned version.
func installed(path string, t tool) bool {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return false
	}
	return info.Path == t.pkg && info.Main.Version == t.version
}

// tryLock takes an exclusive lock on the file at path without waiting; it
// reports false when another process holds it. The lock lasts until release
// or until the process dies.
func tryLock(path string) (release func(), ok bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, err
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == syscall.EWOULDBLOCK {
		f.Close()
		return nil, false, nil
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, true, nil
}

func lockFile(ctx context.Context, path string, log io.Writer) (func(), error) {
	said := false
	for {
		release, ok, err := tryLock(path)
		if err != nil || ok {
			return release, err
		}
		if !said {
			fmt.Fprintln(log, "another process is installing tools; waiting for it")
			said = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
