package stack

import (
	"fmt"
	"net"
	"strconv"
)

// Ports are the loopback TCP ports of one local stack.
type Ports struct {
	Temporal    int // Temporal frontend (gRPC)
	TemporalUI  int // Temporal Web UI
	MailpitSMTP int
	MailpitHTTP int // Mailpit inbox UI and REST API
	Standin     int // Sales stand-in: Dataverse Web API and the sellers' page
	Starter     int // intake and Sales hooks
}

// DefaultPorts are the ports of the local stack that a developer runs.
func DefaultPorts() Ports {
	return Ports{Temporal: 7233, TemporalUI: 8233, MailpitSMTP: 1025, MailpitHTTP: 8025, Standin: 8090, Starter: 8080}
}

// FreePorts picks free loopback ports, so that tests can run stacks side by
// side with each other and with a developer's stack.
func FreePorts() (Ports, error) {
	ports, err := freePorts(6)
	if err != nil {
		return Ports{}, err
	}
	return Ports{Temporal: ports[0], TemporalUI: ports[1], MailpitSMTP: ports[2], MailpitHTTP: ports[3], Standin: ports[4], Starter: ports[5]}, nil
}

// freePorts holds all listeners open until every port is picked, so that
// the n ports are distinct.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// checkFree fails, naming the port and its use, when something already
// listens on one of the ports: most often a stack left behind by an earlier run.
func checkFree(ports map[string]int) error {
	for use, port := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return fmt.Errorf("port %d (%s) on 127.0.0.1 is already in use, perhaps by a stack left from an earlier run: stop that process or choose other ports", port, use)
		}
		l.Close()
	}
	return nil
}
