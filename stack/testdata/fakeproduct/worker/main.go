// Command worker stands in for the product's worker in the stack's tests:
// it polls the onboarding task queue with the stack's environment.
package main

import (
	"log"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

func main() {
	for _, key := range []string{"COMMERCE_DB", "SMTP_PORT", "SALES_TOKEN_URL", "SALES_CLIENT_SECRET"} {
		if os.Getenv(key) == "" {
			log.Fatalf("%s is not set", key)
		}
	}
	c, err := client.Dial(client.Options{HostPort: os.Getenv("TEMPORAL_ADDRESS"), Namespace: os.Getenv("TEMPORAL_NAMESPACE")})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "partner-onboarding", worker.Options{})
	w.RegisterWorkflowWithOptions(func(workflow.Context) error { return nil }, workflow.RegisterOptions{Name: "PartnerOnboarding"})
	if err := w.Run(worker.InterruptCh()); err != nil {
		log.Fatal(err)
	}
}
