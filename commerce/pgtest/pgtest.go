// Package pgtest gives each test a PostgreSQL database of its own, in a
// throwaway cluster that the test binary starts on first use and that goes
// away when the binary exits.
//
// The cluster runs the machine's PostgreSQL programs (initdb, pg_ctl), found
// on PATH or where Debian's postgresql package puts them, as an unprivileged
// user when the tests run as root, listening on a free port of 127.0.0.1
// only, with trust authentication, its socket and data in a temporary
// directory and fsync off.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Start returns the URL of a new, empty database for t, dropped when t ends.
// The first call in a test binary starts the cluster, which later calls
// share. Where no cluster can be started (no PostgreSQL programs, or no way
// to run them as another user than root) t is skipped with one line saying
// why; a cluster that could start but did not fails t.
func Start(t testing.TB) string {
	t.Helper()
	c, err := shared()
	var skip skipError
	if errors.As(err, &skip) {
		t.Skip("SKIPPED PostgreSQL tests: " + skip.reason)
	}
	if err != nil {
		t.Fatalf("start the PostgreSQL test cluster: %v", err)
	}
	name := fmt.Sprintf("test_%d", c.databases.Add(1))
	if _, err := c.admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// FORCE: a process the test started may still be connected.
		if _, err := c.admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	return c.url(name)
}

// skipError says why no cluster can be started on this machine.
type skipError struct{ reason string }

func (e skipError) Error() string { return e.reason }

type cluster struct {
	bin       string // where initdb and pg_ctl are
	dir       string // the cluster's data, socket and logs
	port      int
	admin     *sql.DB // the postgres database, to create and drop the others
	databases atomic.Int64
	// cleanup's stdin, held only to keep the pipe open: when the test
	// binary exits, however it exits, the pipe closes and the cleanup stops
	// the cluster and removes its files.
	cleanup io.WriteCloser
}

func (c *cluster) url(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, database)
}

var (
	once     sync.Once
	the      *cluster
	startErr error
)

func shared() (*cluster, error) {
	once.Do(func() { the, startErr = start() })
	return the, startErr
}

// superuser is the cluster's superuser, whatever the user running it.
const superuser = "postgres"

func start() (*cluster, error) {
	bin, err := findPrograms()
	if err != nil {
		return nil, err
	}
	user, err := unprivileged()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	if err := user.own(dir); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	c := &cluster{bin: bin, dir: dir}

	// The cleanup starts first, so that whatever happens next is undone.
	cleanup := exec.Command("/bin/sh", "-c",
		`cat >/dev/null; "$0" -D "$1" -m immediate -w stop >/dev/null 2>&1; rm -rf "$2"`, c.pgCtl(), c.data(), dir)
	cleanup.Dir = dir
	// Its own process group: Ctrl-C stops the test binary, whose exit then
	// sets the cleanup off, rather than killing the cleanup too.
	cleanup.SysProcAttr = user.attrs(true)
	stdin, err := cleanup.StdinPipe()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := cleanup.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, user.startError(err)
	}
	c.cleanup = stdin
	if err := c.init(user); err != nil {
		_ = stdin.Close() // sets the cleanup off now
		return nil, err
	}
	return c, nil
}

func (c *cluster) data() string  { return filepath.Join(c.dir, "data") }
func (c *cluster) pgCtl() string { return filepath.Join(c.bin, "pg_ctl") }

// init makes the cluster, starts it and connects to it.
func (c *cluster) init(user account) error {
	if err := user.run(c.dir, "initdb.log", filepath.Join(c.bin, "initdb"), "-D", c.data(), "-U", superuser,
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
		return err
	}
	// A free port may be taken between asking and binding; try another.
	for attempt := 1; ; attempt++ {
		var err error
		if c.port, err = freePort(); err != nil {
			return err
		}
		options := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k '%s' -c fsync=off -c synchronous_commit=off "+
			"-c full_page_writes=off -c max_connections=200", c.port, c.dir)
		err = user.run(c.dir, "pg_ctl.log", c.pgCtl(), "-D", c.data(), "-l", filepath.Join(c.dir, "postgres.log"),
			"-w", "-t", "60", "-o", options, "start")
		if err == nil {
			break
		}
		if attempt == 3 {
			return fmt.Errorf("%w\npostgres.log:\n%s", err, tail(filepath.Join(c.dir, "postgres.log")))
		}
	}
	cfg, err := pgx.ParseConfig(c.url("postgres"))
	if err != nil {
		return err
	}
	c.admin = stdlib.OpenDB(*cfg)
	if err := c.admin.PingContext(context.Background()); err != nil {
		return fmt.Errorf("connect to the test cluster: %w", err)
	}
	return nil
}

// findPrograms returns the directory of initdb and pg_ctl: that of the
// initdb on PATH, else the newest /usr/lib/postgresql/<version>/bin.
func findPrograms() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		// initdb finds postgres beside its real path, so pg_ctl is taken
		// from there too.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			if _, err := os.Stat(filepath.Join(filepath.Dir(real), "pg_ctl")); err == nil {
				return filepath.Dir(real), nil
			}
		}
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	for _, p := range found {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "pg_ctl")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	return "", skipError{"no initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)"}
}

// version is the major version in /usr/lib/postgresql/<version>/bin/initdb.
func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// run runs a PostgreSQL program as u in dir, its output to dir/logName; an
// error carries the log's end.
func (u account) run(dir, logName, program string, args ...string) error {
	logPath := filepath.Join(dir, logName)
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(program, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = u.attrs(false)
	err = cmd.Run()
	_ = log.Close()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", filepath.Base(program), u.startError(err), tail(logPath))
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail is the end of a log, enough to see why a program failed.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
