package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/workflows"
)

// mailpit is the part of Mailpit's REST API the load command uses.
type mailpit struct {
	base string
	http *http.Client
}

func newMailpit(base string) *mailpit {
	return &mailpit{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 30 * time.Second}}
}

type mailSummary struct {
	ID        string // Mailpit's own
	MessageID string
	To        []struct{ Address string }
	Created   time.Time // when Mailpit accepted the message over SMTP
}

// deletedCount is how many messages Mailpit has deleted since its start,
// on request or itself when pruning to its maximum (500 unless
// MP_MAX_MESSAGES says otherwise).
func (m *mailpit) deletedCount(ctx context.Context) (uint64, error) {
	var info struct {
		RuntimeStats struct{ MessagesDeleted uint64 }
	}
	if err := m.getJSON(ctx, "/api/v1/info", &info); err != nil {
		return 0, err
	}
	return info.RuntimeStats.MessagesDeleted, nil
}

// searchAll pages through Mailpit's search results, newest first. A
// message arriving meanwhile shifts the pages, so the search is repeated
// until the number of matches held still while it paged.
func (m *mailpit) searchAll(ctx context.Context, query string) ([]mailSummary, error) {
	for {
		msgs, before, after, err := m.searchPages(ctx, query)
		if err != nil || before == after {
			return msgs, err
		}
	}
}

func (m *mailpit) searchPages(ctx context.Context, query string) (msgs []mailSummary, before, after int, err error) {
	const page = 500
	seen := map[string]bool{}
	for start := 0; ; start += page {
		var res struct {
			MessagesCount int `json:"messages_count"`
			Messages      []mailSummary
		}
		path := fmt.Sprintf("/api/v1/search?query=%s&start=%d&limit=%d", url.QueryEscape(query), start, page)
		if err := m.getJSON(ctx, path, &res); err != nil {
			return nil, 0, 0, err
		}
		if start == 0 {
			before = res.MessagesCount
		}
		after = res.MessagesCount
		for _, msg := range res.Messages {
			if !seen[msg.ID] {
				seen[msg.ID] = true
				msgs = append(msgs, msg)
			}
		}
		if len(res.Messages) < page || start+page >= res.MessagesCount {
			return msgs, before, after, nil
		}
	}
}

// delete deletes the messages of these IDs, in batches. It never sends an
// empty list, which would make Mailpit delete every message it holds.
func (m *mailpit) delete(ctx context.Context, ids []string) error {
	for batch := range slices.Chunk(ids, 500) {
		body, _ := json.Marshal(map[string][]string{"IDs": batch})
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, m.base+"/api/v1/messages", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := m.http.Do(req)
		if err != nil {
			return fmt.Errorf("delete %d messages: %w", len(batch), err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("delete %d messages: %s", len(batch), resp.Status)
		}
	}
	return nil
}

func (m *mailpit) getJSON(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// addressedTo keeps the messages with this recipient: a search for to:x
// matches every address that contains x.
func addressedTo(msgs []mailSummary, email string) []mailSummary {
	return slices.DeleteFunc(slices.Clone(msgs), func(m mailSummary) bool {
		return !slices.ContainsFunc(m.To, func(to struct{ Address string }) bool { return strings.EqualFold(to.Address, email) })
	})
}

// verdict is what a request's messages say about its emails.
type verdict int

const (
	emailsPending  verdict = iota // fewer than two yet: wait for the rest
	emailsOK                      // exactly its receipt and its decision email
	emailsNotRight                // more than two, or not the two it should have
)

// judge looks at the messages sent to one request's requester. decision
// is the welcome or decline email when the verdict is emailsOK.
func judge(s *sample, msgs []mailSummary) (v verdict, decision mailSummary, problem string) {
	kinds := []workflows.EmailKind{workflows.EmailReceipt, workflows.EmailDecline}
	if s.outcome == won {
		kinds[1] = workflows.EmailWelcome
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.MessageID
	}
	describe := func() string {
		return fmt.Sprintf("%s (request %s, %s): %d emails %v", s.email, s.id, s.outcome, len(msgs), ids)
	}
	switch {
	case len(msgs) < len(kinds):
		return emailsPending, mailSummary{}, describe()
	case len(msgs) > len(kinds) || s.id == "":
		return emailsNotRight, mailSummary{}, describe()
	}
	for i, k := range kinds {
		// The product derives each Message-ID from the request and the kind.
		prefix := strings.Trim(activities.MessageID(s.id, k, ""), "<>")
		j := slices.IndexFunc(msgs, func(m mailSummary) bool { return strings.HasPrefix(m.MessageID, prefix) })
		if j < 0 {
			return emailsNotRight, mailSummary{}, describe()
		}
		if i == len(kinds)-1 {
			decision = msgs[j]
		}
	}
	return emailsOK, decision, ""
}

// record notes the verdict in the sample, and the time from the seller's
// last call to Mailpit's acceptance of the decision email.
func record(s *sample, v verdict, decision mailSummary, problem string) {
	s.emailsOK = v == emailsOK
	s.emailsProblem = problem
	if s.emailsOK && !s.sellerDone.IsZero() {
		s.toEmail = decision.Created.Sub(s.sellerDone)
	}
}

// emailWait bounds the wait for a request's emails, which go out around
// its final status.
const emailWait = time.Minute

// mailChecker counts each request's emails as soon as it has its final
// status, by searching Mailpit for its own recipient, then deletes them.
// Mailpit thus holds only the emails of the requests in flight, so a run
// of any size is counted right even by a Mailpit that keeps only its
// newest 500 messages (as `make run`'s does).
type mailChecker struct {
	ctx     context.Context
	mp      *mailpit
	jobs    chan *sample
	wg      sync.WaitGroup
	deleted atomic.Int64 // messages this checker deleted
}

// newMailChecker starts workers that check up to queue requests.
func newMailChecker(ctx context.Context, mp *mailpit, workers, queue int) *mailChecker {
	m := &mailChecker{ctx: ctx, mp: mp, jobs: make(chan *sample, queue)}
	for range workers {
		m.wg.Go(func() {
			for s := range m.jobs {
				m.checkNow(s)
			}
		})
	}
	return m
}

// check queues a request that has finished, with or without success.
func (m *mailChecker) check(s *sample) {
	if !s.completed {
		s.emailsProblem = fmt.Sprintf("%s (request %s, %s): did not end as expected", s.email, s.id, s.outcome)
		return
	}
	m.jobs <- s
}

// wait returns once every queued request is checked.
func (m *mailChecker) wait() {
	close(m.jobs)
	m.wg.Wait()
}

func (m *mailChecker) checkNow(s *sample) {
	deadline := time.Now().Add(emailWait)
	interval := 50 * time.Millisecond
	var (
		mine    []mailSummary
		v       verdict
		dec     mailSummary
		problem string
		err     error
	)
	for {
		var msgs []mailSummary
		msgs, err = m.mp.searchAll(m.ctx, "to:"+s.email)
		if err == nil {
			mine = addressedTo(msgs, s.email)
			v, dec, problem = judge(s, mine)
			if v != emailsPending {
				break
			}
		}
		if time.Now().After(deadline) || m.ctx.Err() != nil {
			break
		}
		time.Sleep(interval)
		interval = min(interval*3/2, 500*time.Millisecond)
	}
	if err != nil {
		problem = fmt.Sprintf("%s (request %s): search Mailpit: %v", s.email, s.id, err)
		v = emailsNotRight
	}
	record(s, v, dec, problem)
	m.deleteAll(mine)
}

func (m *mailChecker) deleteAll(msgs []mailSummary) {
	ids := make([]string, len(msgs))
	for i, msg := range msgs {
		ids[i] = msg.ID
	}
	if len(ids) == 0 {
		return
	}
	if err := m.mp.delete(m.ctx, ids); err == nil {
		m.deleted.Add(int64(len(ids)))
	}
}

// sweep runs after a phase's requests were all checked: any message still
// addressed to the phase came after its request's two were counted (an
// email sent twice), or belongs to a request that failed. It fails the
// requests concerned and deletes the messages.
func (m *mailChecker) sweep(prefix string, samples []*sample) error {
	msgs, err := m.mp.searchAll(m.ctx, "to:"+prefix)
	if err != nil {
		return fmt.Errorf("search Mailpit for %q: %w", "to:"+prefix, err)
	}
	byEmail := map[string]*sample{}
	for _, s := range samples {
		byEmail[strings.ToLower(s.email)] = s
	}
	for _, msg := range msgs {
		for _, to := range msg.To {
			if s := byEmail[strings.ToLower(to.Address)]; s != nil && s.emailsOK {
				s.emailsOK = false
				s.emailsProblem = fmt.Sprintf("%s (request %s, %s): another email after its two were counted: %s",
					s.email, s.id, s.outcome, msg.MessageID)
			}
		}
	}
	m.deleteAll(msgs)
	return nil
}

// checkAll counts the emails of every request at once, for the waiting
// mode, whose stack keeps every message (MP_MAX_MESSAGES=0): one paged
// search instead of one per request. It deletes the messages it counted.
func checkAll(ctx context.Context, mp *mailpit, prefix string, samples []*sample) error {
	msgs, err := mp.searchAll(ctx, "to:"+prefix)
	if err != nil {
		return fmt.Errorf("search Mailpit for %q: %w", "to:"+prefix, err)
	}
	byEmail := map[string][]mailSummary{}
	for _, msg := range msgs {
		for _, to := range msg.To {
			byEmail[strings.ToLower(to.Address)] = append(byEmail[strings.ToLower(to.Address)], msg)
		}
	}
	for _, s := range samples {
		v, dec, problem := judge(s, byEmail[strings.ToLower(s.email)])
		if v == emailsPending {
			v = emailsNotRight
		}
		record(s, v, dec, problem)
	}
	ids := make([]string, len(msgs))
	for i, msg := range msgs {
		ids[i] = msg.ID
	}
	return mp.delete(ctx, ids)
}

// emailSummary is a phase's verdict on its emails.
type emailSummary struct {
	how      string // how they were counted
	ok       int
	problems []string
	// pruned is how many messages Mailpit deleted by itself during the
	// phase (beyond the checker's own deletions), which a failed check
	// may owe to.
	pruned int64
}

func summariseEmails(samples []*sample, how string, pruned int64) emailSummary {
	e := emailSummary{how: how}
	for _, s := range samples {
		if s.emailsOK {
			e.ok++
		} else if s.emailsProblem != "" {
			e.problems = append(e.problems, s.emailsProblem)
		} else {
			e.problems = append(e.problems, fmt.Sprintf("%s (request %s): emails not checked", s.email, s.id))
		}
	}
	e.pruned = max(pruned, 0)
	return e
}
