// Package settings reads a process's configuration from its environment.
// Each setting is declared where it is read, with its default and meaning,
// so that `-h` lists every one of them and a start with bad values names
// each bad value in one message, instead of failing on the first.
package settings

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Var is one setting a process reads.
type Var struct {
	Name    string
	Default string // as the process uses it when the variable is unset
	Usage   string
}

// Env reads settings and collects what is wrong with them.
type Env struct {
	lookup func(string) (string, bool)
	vars   []Var
	seen   map[string]bool
	errs   []string
}

// OS reads the process's environment.
func OS() *Env { return &Env{lookup: os.LookupEnv, seen: map[string]bool{}} }

// Map reads settings from m, for tests and for listing what a process reads.
func Map(m map[string]string) *Env {
	return &Env{lookup: func(k string) (string, bool) { v, ok := m[k]; return v, ok }, seen: map[string]bool{}}
}

// Declare lists a setting that something else reads (the Temporal SDK's
// environment configuration, say), so that the usage names it too.
func (e *Env) Declare(name, def, usage string) {
	if !e.seen[name] {
		e.seen[name] = true
		e.vars = append(e.vars, Var{Name: name, Default: def, Usage: usage})
	}
}

// Lookup returns a setting's trimmed value and whether it is set and not empty.
func (e *Env) Lookup(name, def, usage string) (string, bool) {
	e.Declare(name, def, usage)
	v, _ := e.lookup(name)
	v = strings.TrimSpace(v)
	return v, v != ""
}

// String returns a setting, or def when it is unset or empty.
func (e *Env) String(name, def, usage string) string {
	if v, ok := e.Lookup(name, def, usage); ok {
		return v
	}
	return def
}

// Required returns a setting that has no default; unset, it is an error.
func (e *Env) Required(name, usage string) string {
	v, ok := e.Lookup(name, "(required)", usage)
	if !ok {
		e.errs = append(e.errs, name+" is required: "+usage)
	}
	return v
}

// Int returns a whole number between min and max.
func (e *Env) Int(name string, def, min, max int, usage string) int {
	v, ok := e.Lookup(name, strconv.Itoa(def), usage)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		e.Invalid(name, v, fmt.Sprintf("is not a whole number from %d to %d", min, max))
		return def
	}
	return n
}

// Duration returns a positive Go duration such as 30s or 1h.
func (e *Env) Duration(name string, def time.Duration, usage string) time.Duration {
	shown := ""
	if def > 0 {
		shown = def.String()
	}
	v, ok := e.Lookup(name, shown, usage)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.Invalid(name, v, "is not a positive duration such as 30s or 1h")
		return def
	}
	return d
}

// Bool returns true or false (also 1/0, yes/no).
func (e *Env) Bool(name string, def bool, usage string) bool {
	v, ok := e.Lookup(name, strconv.FormatBool(def), usage)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	e.Invalid(name, v, "is not true or false")
	return def
}

// List returns a comma-separated list, without empty entries.
func (e *Env) List(name, usage string) []string {
	v, _ := e.Lookup(name, "", usage)
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Invalid records that a setting's value is wrong and why.
func (e *Env) Invalid(name, value, problem string) {
	e.errs = append(e.errs, fmt.Sprintf("%s %q %s", name, value, problem))
}

// Problem records something wrong that is not one value's fault, such as
// two settings that contradict each other.
func (e *Env) Problem(format string, args ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, args...))
}

// Err reports every bad setting, one per line, or nil.
func (e *Env) Err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return errors.New("configuration:\n  " + strings.Join(e.errs, "\n  "))
}

// Vars lists the settings read (and declared) so far, in order.
func (e *Env) Vars() []Var { return append([]Var(nil), e.vars...) }

// WriteUsage writes the settings read so far as a table.
func (e *Env) WriteUsage(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tMEANING")
	for _, v := range e.vars {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Name, v.Default, v.Usage)
	}
	tw.Flush()
}
