package webhook

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Date is a date and time as the WCF JSON serializer writes it: "/Date(1506384247000)/", optionally
// with the writer's UTC offset ("/Date(1506409448000-0700)/"). The milliseconds are always since the
// Unix epoch in UTC; the offset only says in which zone the writer was, so it sets the location.
type Date struct {
	time.Time
}

var datePattern = regexp.MustCompile(`^/Date\((-?\d+)(?:([+-])(\d{2})(\d{2}))?\)/$`)

// ParseDate reads the /Date(ms)/ form, with or without an offset.
func ParseDate(s string) (time.Time, error) {
	m := datePattern.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, fmt.Errorf("parse date %q: not in /Date(ms)/ form", s)
	}
	ms, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse date %q: %w", s, err)
	}
	t := time.UnixMilli(ms).UTC()
	if m[2] != "" {
		hours, _ := strconv.Atoi(m[3])
		minutes, _ := strconv.Atoi(m[4])
		offset := hours*3600 + minutes*60
		if m[2] == "-" {
			offset = -offset
		}
		t = t.In(time.FixedZone("", offset))
	}
	return t, nil
}

// String returns the /Date(ms)/ form.
func (d Date) String() string {
	return fmt.Sprintf("/Date(%d)/", d.UnixMilli())
}

// MarshalJSON writes "/Date(ms)/", or null for the zero time.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads every /Date(ms)/ variant; JSON decoding already turns "\/" into "/".
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("parse date: %w", err)
	}
	t, err := ParseDate(s)
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}
