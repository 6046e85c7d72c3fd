// Command standin stands in for the Sales stand-in in the stack's tests.
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	if err := os.MkdirAll(os.Getenv("STANDIN_DATA_DIR"), 0o755); err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("sellers")) })
	http.HandleFunc("GET /healthz", func(http.ResponseWriter, *http.Request) {})
	log.Fatal(http.ListenAndServe(os.Getenv("STANDIN_ADDR"), nil))
}
