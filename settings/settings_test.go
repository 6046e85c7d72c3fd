package settings

import (
	"strings"
	"testing"
	"time"
)

func TestReadsAndReportsEveryBadValue(t *testing.T) {
	env := Map(map[string]string{"A": " x ", "N": "12", "BAD_N": "twelve", "D": "2s", "BAD_D": "-1s",
		"B": "yes", "BAD_B": "perhaps", "L": "a, b,,c "})
	if got := env.String("A", "d", "a string"); got != "x" {
		t.Errorf("String = %q", got)
	}
	if got := env.String("UNSET", "d", "a default"); got != "d" {
		t.Errorf("unset String = %q", got)
	}
	if got := env.Int("N", 1, 0, 20, "a number"); got != 12 {
		t.Errorf("Int = %d", got)
	}
	env.Int("BAD_N", 1, 0, 20, "a number")
	if got := env.Duration("D", time.Second, "a duration"); got != 2*time.Second {
		t.Errorf("Duration = %s", got)
	}
	env.Duration("BAD_D", time.Second, "a duration")
	if !env.Bool("B", false, "a switch") {
		t.Error("Bool(yes) = false")
	}
	env.Bool("BAD_B", false, "a switch")
	if got := env.List("L", "a list"); strings.Join(got, "|") != "a|b|c" {
		t.Errorf("List = %q", got)
	}
	env.Required("MISSING", "must be set")

	err := env.Err()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`BAD_N "twelve" is not a whole number from 0 to 20`,
		`BAD_D "-1s" is not a positive duration`, `BAD_B "perhaps" is not true or false`, "MISSING is required: must be set"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	var usage strings.Builder
	env.WriteUsage(&usage)
	for _, name := range []string{"A", "UNSET", "N", "D", "B", "L", "MISSING"} {
		if !strings.Contains(usage.String(), name) {
			t.Errorf("usage does not list %s:\n%s", name, usage.String())
		}
	}
}
