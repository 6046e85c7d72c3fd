package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

type config struct {
	n        int   // requests per phase
	levels   []int // requests in flight: one phase per level
	mix      mix
	intake   string // base URL, without /v1/...
	key      string // the intake's API key
	standin  string
	mailpit  string
	temporal string
	floor    bool    // run the engine's floor before and after each phase
	report   string  // directory for the charts and report.md; none when empty
	waiting  int     // requests of the waiting mode; 0: the phases
	rate     float64 // requests sent per second at most; 0: as fast as the level allows
}

// outcome is how the seller decides one request.
type outcome string

const (
	won          outcome = "won"
	lost         outcome = "lost"
	disqualified outcome = "disqualified"
)

var outcomes = []outcome{won, lost, disqualified}

// final is the status and decision a request of the outcome must end with.
func (o outcome) final() (workflows.Status, workflows.Decision) {
	switch o {
	case won:
		return workflows.StatusApproved, workflows.DecisionWon
	case lost:
		return workflows.StatusRejected, workflows.DecisionLost
	default:
		return workflows.StatusRejected, workflows.DecisionDisqualified
	}
}

// mix is the weight of each outcome.
type mix map[outcome]int

func parseMix(s string) (mix, error) {
	m := mix{}
	for part := range strings.SplitSeq(s, ",") {
		name, weight, ok := strings.Cut(strings.TrimSpace(part), "=")
		w, err := strconv.Atoi(weight)
		if !ok || err != nil || w < 0 || !slices.Contains(outcomes, outcome(name)) {
			return nil, fmt.Errorf("-mix %q: want outcome=weight,... with outcomes won, lost, disqualified", s)
		}
		m[outcome(name)] += w
	}
	total := 0
	for _, w := range m {
		total += w
	}
	if total == 0 {
		return nil, fmt.Errorf("-mix %q: weights sum to zero", s)
	}
	return m, nil
}

func (m mix) String() string {
	var parts []string
	for _, o := range outcomes {
		parts = append(parts, fmt.Sprintf("%s=%d", o, m[o]))
	}
	return strings.Join(parts, ",")
}

// plan gives n requests their outcomes in the mix's proportions (largest
// remainder), shuffled so that the outcomes interleave under load.
func (m mix) plan(n int) []outcome {
	total := 0
	for _, w := range m {
		total += w
	}
	counts := map[outcome]int{}
	given := 0
	for _, o := range outcomes {
		counts[o] = n * m[o] / total
		given += counts[o]
	}
	for given < n {
		best, bestRem := outcomes[0], -1.0
		for _, o := range outcomes {
			exact := float64(n*m[o]) / float64(total)
			if rem := exact - float64(counts[o]); m[o] > 0 && rem > bestRem {
				best, bestRem = o, rem
			}
		}
		counts[best]++
		given++
	}
	var plan []outcome
	for _, o := range outcomes {
		for range counts[o] {
			plan = append(plan, o)
		}
	}
	mathrand.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	return plan
}

// driver plays the B2B site and the seller for every request of a run.
type driver struct {
	cfg   config
	runID string
	http  *http.Client
	sales *sales.Client
}

func newDriver(cfg config) (*driver, error) {
	salesClient, err := sales.New(sales.Config{
		EnvironmentURL: cfg.standin,
		TokenURL:       strings.TrimRight(cfg.standin, "/") + "/local/oauth2/v2.0/token",
		ClientID:       "onboarding-worker",
		ClientSecret:   "local-secret",
	})
	if err != nil {
		return nil, err
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	// Keep a connection per worker open rather than a new one per call.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 2 * max(slices.Max(cfg.levels), pollers)
	return &driver{
		cfg:   cfg,
		runID: hex.EncodeToString(id),
		http:  &http.Client{Transport: transport, Timeout: 30 * time.Second},
		sales: salesClient,
	}, nil
}

// email is the requester's address of request i of a run's phase: unique
// per run and phase, so that Mailpit finds a request's emails by it, and
// a request of one phase is never a duplicate of another's.
func (d *driver) email(phase string, i int) string {
	return fmt.Sprintf("%s%d@load.example", d.emailPrefix(phase), i)
}

// emailPrefix is what every address of a run's phase begins with.
func (d *driver) emailPrefix(phase string) string {
	return fmt.Sprintf("load-%s-%s-", d.runID, phase)
}

// sample is what one request went through.
type sample struct {
	i         int
	email     string
	outcome   outcome
	id        string
	final     workflows.State
	err       error
	completed bool // reached the expected status and decision

	began      time.Time // POST sent
	sellerDone time.Time // the seller's last Sales API call answered: the stand-in fires the webhook now

	intakePOST   time.Duration // POST answered
	toLead       time.Duration // POST sent until a GET showed the lead's ID
	toAwaiting   time.Duration // POST sent until AwaitingQualification with a lead was seen
	sellerCalls  time.Duration // the seller's Sales API calls
	decisionDone time.Duration // last seller call answered until the final status was seen
	whole        time.Duration // POST sent until the final status was seen
	toEmail      time.Duration // last seller call answered until Mailpit accepted the welcome or decline email

	emailsOK      bool   // exactly its receipt and its decision email
	emailsProblem string // why not
}

type result struct {
	c       int // requests in flight
	samples []*sample
	began   time.Time
	wall    time.Duration
}

// run sends n requests, c at a time, and hands each finished one to the
// email checker, which counts its emails while the run goes on.
func (d *driver) run(ctx context.Context, c int, phase string, mails *mailChecker) result {
	plan := d.cfg.mix.plan(d.cfg.n)
	samples := make([]*sample, len(plan))
	jobs := make(chan int)
	var wg sync.WaitGroup
	began := time.Now()
	for range c {
		wg.Go(func() {
			for i := range jobs {
				s := &sample{i: i, outcome: plan[i], email: d.email(phase, i)}
				s.err = d.onboard(ctx, s)
				samples[i] = s
				mails.check(s)
			}
		})
	}
	var pace <-chan time.Time
	if d.cfg.rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / d.cfg.rate))
		defer t.Stop()
		pace = t.C
	}
	for i := range plan {
		if pace != nil && i > 0 {
			select {
			case <-pace:
			case <-ctx.Done():
			}
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	wall := time.Since(began)
	for i, s := range samples {
		if s == nil { // never sent: the run was cut short
			samples[i] = &sample{i: i, outcome: plan[i], err: ctx.Err(), emailsProblem: "never sent"}
		}
	}
	return result{c: c, samples: samples, began: began, wall: wall}
}

// onboard takes one request from the B2B site's POST through the seller's
// decision to its final status.
func (d *driver) onboard(ctx context.Context, s *sample) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.began = time.Now()
	id, err := d.submit(ctx, s.email)
	s.intakePOST = time.Since(s.began)
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	s.id = id

	st, err := d.await(ctx, id, func(st workflows.State) bool {
		if st.LeadID != "" && s.toLead == 0 {
			s.toLead = time.Since(s.began)
		}
		return st.Status == workflows.StatusAwaitingQualification && st.LeadID != ""
	})
	if err != nil {
		return fmt.Errorf("await %s: %w", workflows.StatusAwaitingQualification, err)
	}
	s.toAwaiting = time.Since(s.began)

	decided := time.Now()
	if err := d.decide(ctx, s.outcome, st.LeadID); err != nil {
		return fmt.Errorf("seller's decision %s: %w", s.outcome, err)
	}
	s.sellerDone = time.Now()
	s.sellerCalls = s.sellerDone.Sub(decided)

	wantStatus, wantDecision := s.outcome.final()
	st, err = d.await(ctx, id, func(st workflows.State) bool {
		return st.Status == workflows.StatusApproved || st.Status == workflows.StatusRejected
	})
	if err != nil {
		return fmt.Errorf("await final status: %w", err)
	}
	s.decisionDone = time.Since(s.sellerDone)
	s.whole = time.Since(s.began)
	s.final = st
	if st.Status != wantStatus || st.Decision != wantDecision {
		return fmt.Errorf("ended %s/%s, want %s/%s", st.Status, st.Decision, wantStatus, wantDecision)
	}
	s.completed = true
	return nil
}

// decide does what the seller does in Sales for the outcome.
func (d *driver) decide(ctx context.Context, o outcome, leadID string) error {
	if o == disqualified {
		return d.sales.DisqualifyLead(ctx, leadID, sales.LeadStatusNoLongerInterested)
	}
	q, err := d.sales.QualifyLead(ctx, leadID)
	if err != nil {
		return err
	}
	if o == won {
		return d.sales.WinOpportunity(ctx, q.OpportunityID, "Partner contract signed")
	}
	return d.sales.LoseOpportunity(ctx, q.OpportunityID, "Went with another supplier")
}

func (d *driver) submit(ctx context.Context, email string) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"company": map[string]any{
			"name":    "Fabrikam Tools GmbH",
			"taxId":   "DE123456789",
			"address": map[string]string{"street": "Industriestr. 5", "city": "Köln", "postalCode": "50667", "countryCode": "DE"},
		},
		"requester": map[string]string{
			"firstName": "Ada", "lastName": "Lovelace", "email": email, "phone": "+49 221 1234567", "jobTitle": "Purchasing",
		},
		"locale":   "en-GB",
		"comments": "Load test request.",
	})
	var a struct {
		ID string `json:"id"`
	}
	code, err := d.do(ctx, http.MethodPost, d.requestsURL(), body, &a)
	if err != nil {
		return "", err
	}
	if code != http.StatusAccepted || a.ID == "" {
		return "", fmt.Errorf("POST answered %d, want 202 with an id", code)
	}
	return a.ID, nil
}

// Polls start short and back off, so that a quick step is seen quickly and
// a slow one does not flood the starter with queries.
const (
	firstPoll = 20 * time.Millisecond
	maxPoll   = 200 * time.Millisecond
	stepLimit = 3 * time.Minute
)

// await polls the request's state until done holds.
func (d *driver) await(ctx context.Context, id string, done func(workflows.State) bool) (workflows.State, error) {
	ctx, cancel := context.WithTimeout(ctx, stepLimit)
	defer cancel()
	interval := firstPoll
	var last workflows.State
	var lastErr error
	for {
		st, err := d.state(ctx, id)
		if err == nil {
			if done(st) {
				return st, nil
			}
			last = st
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("%w; last seen status %q, error %v", ctx.Err(), last.Status, lastErr)
		case <-time.After(interval):
		}
		interval = min(time.Duration(float64(interval)*1.5), maxPoll)
	}
}

// state GETs the request's state once.
func (d *driver) state(ctx context.Context, id string) (workflows.State, error) {
	var st workflows.State
	code, err := d.do(ctx, http.MethodGet, d.requestsURL()+"/"+id, nil, &st)
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("GET answered %d", code)
	}
	return st, err
}

func (d *driver) requestsURL() string {
	return strings.TrimRight(d.cfg.intake, "/") + "/v1/onboarding-requests"
}

// do sends a JSON request to the intake, with its API key, and decodes a JSON answer of any status into out.
func (d *driver) do(ctx context.Context, method, url string, body []byte, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+d.cfg.key)
	resp, err := d.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode answer: %w", err)
		}
	}
	return resp.StatusCode, nil
}
