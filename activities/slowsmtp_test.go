package activities_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/partner-onboarding/onboarding/workflows"
)

// lateRelay is an SMTP server that answers the end of the first message's
// DATA only after a delay, as a relay that scans mail or waits on a slow
// queue does. A message counts as delivered once its 250 reached the client,
// which the client shows by sending its next command.
type lateRelay struct {
	host      string
	port      int
	delay     time.Duration
	datas     atomic.Int32
	mu        sync.Mutex
	delivered []string // which DATA of the session, by number
}

func newLateRelay(t *testing.T, delay time.Duration) *lateRelay {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	r := &lateRelay{delay: delay}
	addr := l.Addr().(*net.TCPAddr)
	r.host, r.port = addr.IP.String(), addr.Port
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.serve(conn)
			}()
		}
	}()
	return r
}

func (r *lateRelay) serve(conn net.Conn) {
	defer conn.Close()
	in := bufio.NewReader(conn)
	reply := func(s string) error {
		_, err := conn.Write([]byte(s + "\r\n"))
		return err
	}
	reply("220 late.example ESMTP")
	var pending string // the message whose 250 was sent, not yet confirmed
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return // the client went away: a pending message was not delivered
		}
		if pending != "" {
			r.mu.Lock()
			r.delivered = append(r.delivered, pending)
			r.mu.Unlock()
			pending = ""
		}
		switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			reply("250 late.example")
		case cmd == "DATA":
			reply("354 End data with <CR><LF>.<CR><LF>")
			n := r.datas.Add(1)
			for {
				l, err := in.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			if n == 1 {
				time.Sleep(r.delay)
			}
			if reply("250 2.0.0 queued") == nil {
				pending = fmt.Sprintf("message %d", n)
			}
		case cmd == "QUIT":
			reply("221 Bye")
			return
		default:
			reply("250 OK")
		}
	}
}

func (r *lateRelay) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.delivered...)
}

// TestSlowRelayGetsTheEmailOnce: the relay accepts the first DATA only after
// the attempt's deadline. The send gives up before that deadline, so the
// relay never confirms that copy; the retry's copy is recorded, and no
// further attempt sends it again.
func TestSlowRelayGetsTheEmailOnce(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	relay := newLateRelay(t, 3*time.Second)
	acts, _ := newActivities(t, f.store, f.sales, newMailer(t, relay.host, relay.port))

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(time.Minute)
	acts.Register(env)
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in workflows.Email) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 2 * time.Second,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumAttempts: 5},
		})
		// The test environment does not retry an attempt that timed out;
		// Temporal does, so the workflow does it here.
		var err error
		for range 5 {
			if err = workflow.ExecuteActivity(ctx, workflows.ActivitySendEmail, in).Get(ctx, nil); err == nil {
				return nil
			}
		}
		return err
	}, workflow.RegisterOptions{Name: "SendOneEmail"})

	env.ExecuteWorkflow("SendOneEmail", workflows.Email{RequestID: req.RequestID, Kind: workflows.EmailReceipt})

	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("sending failed: %v", err)
	}
	if got := relay.messages(); len(got) != 1 {
		t.Errorf("the relay delivered %d copies (%v), want 1", len(got), got)
	}
	if sent, err := f.store.ListSentEmails(f.ctx, req.RequestID); err != nil || len(sent) != 1 {
		t.Errorf("sent emails = %+v, %v; want the one recorded", sent, err)
	}
}
