package intake

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/metrics"
)

// AddressWindow is the window of Service.ReceiptsPerAddress.
const AddressWindow = 24 * time.Hour

// guard admits a call that carries one of the API keys and that its key's
// rate allows; anything else is answered here, before the call reads or
// writes anything.
func (s *Service) guard(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := s.keyOf(r)
		if !ok {
			s.Logger.Warn("Intake call refused: no valid API key", "method", r.Method)
			s.countRefused("unauthorized")
			w.Header().Set("WWW-Authenticate", `Bearer realm="onboarding intake"`)
			writeError(w, http.StatusUnauthorized, "a valid API key is required: Authorization: Bearer <key>")
			return
		}
		if wait := s.keyRate(key); wait > 0 {
			s.Logger.Warn("Intake call refused: over its API key's rate", "method", r.Method, "apiKeyNumber", key+1)
			s.countRefused("key_rate")
			writeTooMany(w, wait, "too many calls with this API key; retry after Retry-After seconds")
			return
		}
		next(w, r)
	}
}

// keyOf finds the key a call carries, as Authorization: Bearer <key> or
// X-API-Key: <key>, among Keys and returns its index. Every key is compared,
// in constant time and hashed first, so that neither which key matched nor
// a key's length shows in the time taken.
func (s *Service) keyOf(r *http.Request) (int, bool) {
	var sent []string
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		sent = append(sent, strings.TrimSpace(token))
	}
	if v := r.Header.Get("X-API-Key"); v != "" {
		sent = append(sent, strings.TrimSpace(v))
	}
	found := -1
	for _, got := range sent {
		g := sha256.Sum256([]byte(got))
		for i, key := range s.Keys {
			want := sha256.Sum256([]byte(key))
			match := subtle.ConstantTimeCompare(g[:], want[:]) & boolInt(got != "" && key != "")
			found = subtle.ConstantTimeSelect(match, i, found)
		}
	}
	return found, found >= 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// keyRate takes one call from the key's token bucket and says how long to
// wait when it is empty (nothing is taken then); zero admits the call.
func (s *Service) keyRate(key int) time.Duration {
	if s.RatePerKey <= 0 {
		return 0
	}
	s.limitersOnce.Do(func() {
		s.limiters = make([]*rate.Limiter, len(s.Keys))
		for i := range s.limiters {
			s.limiters[i] = rate.NewLimiter(rate.Limit(s.RatePerKey), max(s.BurstPerKey, 1))
		}
	})
	now := time.Now()
	res := s.limiters[key].ReserveN(now, 1)
	if !res.OK() {
		return time.Second
	}
	if wait := res.DelayFrom(now); wait > 0 {
		res.CancelAt(now)
		return wait
	}
	return 0
}

// addressLimit is the register's bound on new requests of one address.
func (s *Service) addressLimit() commerce.AddressLimit {
	return commerce.AddressLimit{Max: s.ReceiptsPerAddress, Window: AddressWindow}
}

// refusedForAddress answers a submission refused because its address had
// its receipts of the day, and reports whether err was that.
func (s *Service) refusedForAddress(w http.ResponseWriter, err error) bool {
	var limited *commerce.AddressLimitError
	if !errors.As(err, &limited) {
		return false
	}
	s.Logger.Warn("Request refused: its email address had its receipts of the day", "registered", limited.Registered)
	s.countRefused("address_limit")
	writeTooMany(w, time.Until(limited.RetryAt),
		"this email address sent as many onboarding requests as a day allows; retry after Retry-After seconds")
	return true
}

func (s *Service) countRefused(reason string) {
	if s.Metrics != nil {
		s.Metrics.WithTags(map[string]string{"reason": reason}).Counter(metrics.IntakeRefused).Inc(1)
	}
}

// writeTooMany answers 429 with Retry-After in whole seconds, at least one.
func writeTooMany(w http.ResponseWriter, wait time.Duration, msg string) {
	secs := max(int64(math.Ceil(wait.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	writeError(w, http.StatusTooManyRequests, msg)
}

// limiterSet holds one token bucket per API key, made at the first call.
type limiterSet struct {
	limitersOnce sync.Once
	limiters     []*rate.Limiter
}
