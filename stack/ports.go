package stack

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// Ports are the loopback TCP ports of one local stack.
type Ports struct {
	Temporal    int // Temporal frontend (gRPC)
	TemporalUI  int // Temporal Web UI
	MailpitSMTP int
	MailpitHTTP int // Mailpit inbox UI and REST API
	Standin     int // Sales stand-in: Dataverse Web API and the sellers' page
	Starter     int // the intake
	Webhooks    int // the starter's Sales webhook receiver
	WorkerOps   int // the worker's /metrics, /healthz and /readyz
	StarterOps  int // the starter's /metrics, /healthz and /readyz
	CodecServer int // decrypts payloads for the Temporal Web UI and CLI
}

// DefaultPorts are the ports of the local stack that a developer runs.
func DefaultPorts() Ports {
	return Ports{Temporal: 7233, TemporalUI: 8233, MailpitSMTP: 1025, MailpitHTTP: 8025, Standin: 8090, Starter: 8080,
		WorkerOps: 9101, StarterOps: 9102, Webhooks: 8081, CodecServer: 8082}
}

// FreePorts picks free loopback ports, so that tests can run stacks side by
// side with each other and with a developer's stack.
func FreePorts() (Ports, error) {
	ports, err := freePorts(10)
	if err != nil {
		return Ports{}, err
	}
	return Ports{Temporal: ports[0], TemporalUI: ports[1], MailpitSMTP: ports[2], MailpitHTTP: ports[3], Standin: ports[4],
		Starter: ports[5], WorkerOps: ports[6], StarterOps: ports[7], Webhooks: ports[8], CodecServer: ports[9]}, nil
}

// FreePortList picks n more free ports, for processes a test adds to a stack.
func FreePortList(n int) ([]int, error) { return freePorts(n) }

// freePorts picks n distinct free ports below the kernel's ephemeral range.
// Every process that listens on port 0 (the dev server's own services, test
// servers) gets a port from that range, so none of them can take one of
// these between the pick and the start. The listeners stay open until all n
// are picked.
func freePorts(n int) ([]int, error) {
	low, high := 20000, ephemeralLow()
	if high-low < 1000 {
		low = 1024
	}
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			return nil, fmt.Errorf("pick a free port: none free among %d tries in %d-%d", tries, low, high)
		}
		port := low + rand.IntN(high-low)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		defer l.Close()
		ports = append(ports, port)
	}
	return ports, nil
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// default where it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 32768
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil || low <= 1024 {
		return 32768
	}
	return low
}

// ErrPortInUse is what a start that found one of its ports taken fails with
// (errors.Is): StartOnFreePorts then picks other ports.
var ErrPortInUse = errors.New("port in use")

type portInUseError struct {
	port int
	use  string
}

func (e *portInUseError) Error() string {
	return fmt.Sprintf("port %d (%s) on 127.0.0.1 is already in use, perhaps by a stack left from an earlier run: stop that process or choose other ports", e.port, e.use)
}

func (e *portInUseError) Is(target error) bool { return target == ErrPortInUse }

// checkFree fails, naming the port and its use, when something already
// listens on one of the ports: most often a stack left behind by an earlier run.
func checkFree(ports map[string]int) error {
	for use, port := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return &portInUseError{port: port, use: use}
		}
		l.Close()
	}
	return nil
}
