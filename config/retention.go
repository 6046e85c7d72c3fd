package config

import (
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/partner-onboarding/onboarding/settings"
	"github.com/partner-onboarding/onboarding/workflows"
)

// Retention is when the personal data of rejected requests is erased: the
// worker keeps the Temporal Schedule workflows.RetentionScheduleID in line
// with it at start.
type Retention struct {
	// Period is how long a rejected request keeps its personal data; zero
	// turns the retention off.
	Period time.Duration
	// Every or Cron says when the schedule runs; neither while it is off.
	Every time.Duration
	Cron  string
}

// On reports whether rejected requests lose their personal data at all.
func (r Retention) On() bool { return r.Period > 0 && (r.Every > 0 || r.Cron != "") }

// Spec is when the schedule runs.
func (r Retention) Spec() client.ScheduleSpec {
	if r.Cron != "" {
		return client.ScheduleSpec{CronExpressions: []string{r.Cron}}
	}
	return client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: r.Every}}}
}

func retention(env *settings.Env) Retention {
	var r Retention
	period, set := env.Lookup("RETENTION_PERIOD", "2160h",
		"rejected requests lose their personal data this long after the decision (2160h or 90d; 0 or off: never)")
	switch {
	case !set:
		r.Period = workflows.DefaultRetentionPeriod
	case off(period):
	default:
		if r.Period = days(period); r.Period <= 0 {
			env.Invalid("RETENTION_PERIOD", period, "is not a positive duration such as 2160h or 90d, nor 0 or off")
		}
	}
	when, set := env.Lookup("RETENTION_SCHEDULE", "24h",
		"when the erasure runs: an interval such as 24h (at midnight UTC), or a cron expression such as 0 3 * * * (UTC); 0 or off: never")
	switch {
	case !set:
		r.Every = 24 * time.Hour
	case off(when):
	case cronLike(when):
		r.Cron = when
	default:
		if d, err := time.ParseDuration(when); err == nil && d >= time.Second {
			r.Every = d
		} else {
			env.Invalid("RETENTION_SCHEDULE", when, "is neither an interval of a second or more such as 24h, nor a cron expression such as 0 3 * * *, nor off")
		}
	}
	if !r.On() {
		r = Retention{}
	}
	return r
}

func off(v string) bool { return v == "0" || strings.EqualFold(v, "off") }

// days reads a Go duration, or a whole number of days such as 90d; zero
// when it is neither.
func days(v string) time.Duration {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d > 0 && d < 100000 {
			return time.Duration(d) * 24 * time.Hour
		}
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0
	}
	return d
}

// cronLike reports whether v has the shape of a cron expression (five to
// seven fields, or a shorthand such as @daily); the Temporal server checks
// the fields.
func cronLike(v string) bool {
	if strings.HasPrefix(v, "@") {
		return true
	}
	n := len(strings.Fields(v))
	return n >= 5 && n <= 7
}
