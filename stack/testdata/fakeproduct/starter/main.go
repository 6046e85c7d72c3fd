// Command starter stands in for the product's starter in the stack's tests.
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] != "serve" {
		log.Fatalf("usage: starter serve")
	}
	if os.Getenv("WEBHOOK_KEYS") == "" || os.Getenv("INTAKE_API_KEYS") == "" || os.Getenv("TEMPORAL_ADDRESS") == "" {
		log.Fatal("WEBHOOK_KEYS, INTAKE_API_KEYS and TEMPORAL_ADDRESS are required")
	}
	// The intake and the webhook receiver listen apart, as the starter's do.
	hooks := http.NewServeMux()
	hooks.HandleFunc("GET /healthz", func(http.ResponseWriter, *http.Request) {})
	go func() { log.Fatal(http.ListenAndServe(os.Getenv("WEBHOOK_ADDR"), hooks)) }()
	http.HandleFunc("GET /healthz", func(http.ResponseWriter, *http.Request) {})
	log.Fatal(http.ListenAndServe(os.Getenv("STARTER_ADDR"), nil))
}
