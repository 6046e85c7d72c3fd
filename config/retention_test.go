package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/settings"
)

func TestRetention(t *testing.T) {
	for _, c := range []struct {
		period, schedule string
		want             config.Retention
	}{
		{"", "", config.Retention{Period: 90 * 24 * time.Hour, Every: 24 * time.Hour}},
		{"30d", "12h", config.Retention{Period: 30 * 24 * time.Hour, Every: 12 * time.Hour}},
		{"720h", "0 3 * * *", config.Retention{Period: 720 * time.Hour, Cron: "0 3 * * *"}},
		{"2160h", "@daily", config.Retention{Period: 2160 * time.Hour, Cron: "@daily"}},
		{"off", "", config.Retention{}},
		{"0", "24h", config.Retention{}},
		{"90d", "OFF", config.Retention{}},
	} {
		env := settings.Map(map[string]string{"RETENTION_PERIOD": c.period, "RETENTION_SCHEDULE": c.schedule})
		got := config.LoadWorker(env).Retention
		if got != c.want {
			t.Errorf("RETENTION_PERIOD=%q RETENTION_SCHEDULE=%q: %+v, want %+v", c.period, c.schedule, got, c.want)
		}
		if got.On() != (c.want.Period > 0) {
			t.Errorf("RETENTION_PERIOD=%q RETENTION_SCHEDULE=%q: on = %v", c.period, c.schedule, got.On())
		}
	}
	if spec := (config.Retention{Period: time.Hour, Cron: "0 3 * * *"}).Spec(); len(spec.CronExpressions) != 1 || len(spec.Intervals) != 0 {
		t.Errorf("cron spec = %+v", spec)
	}
	if spec := (config.Retention{Period: time.Hour, Every: time.Hour}).Spec(); len(spec.Intervals) != 1 || spec.Intervals[0].Every != time.Hour {
		t.Errorf("interval spec = %+v", spec)
	}
}

func TestRetentionBadValuesAreNamed(t *testing.T) {
	for _, vars := range []map[string]string{
		{"RETENTION_PERIOD": "three months"},
		{"RETENTION_PERIOD": "-1h"},
		{"RETENTION_PERIOD": "0.5d"},
		{"RETENTION_SCHEDULE": "daily"},
		{"RETENTION_SCHEDULE": "1ms"},
	} {
		env := settings.Map(vars)
		config.LoadWorker(env)
		for name := range vars {
			if err := env.Err(); err == nil || !strings.Contains(err.Error(), name+" ") {
				t.Errorf("%v: err = %v, want it to name %s", vars, err, name)
			}
		}
	}
}
