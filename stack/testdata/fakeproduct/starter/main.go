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
	if os.Getenv("WEBHOOK_KEYS") == "" || os.Getenv("TEMPORAL_ADDRESS") == "" {
		log.Fatal("WEBHOOK_KEYS and TEMPORAL_ADDRESS are required")
	}
	http.HandleFunc("GET /healthz", func(http.ResponseWriter, *http.Request) {})
	log.Fatal(http.ListenAndServe(os.Getenv("STARTER_ADDR"), nil))
}
