// Command codecserver stands in for the codec server in the stack's tests.
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	if _, err := os.Stat(os.Getenv("PAYLOAD_KEYS_FILE")); err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("GET /healthz", func(http.ResponseWriter, *http.Request) {})
	log.Fatal(http.ListenAndServe(os.Getenv("CODEC_SERVER_ADDR"), nil))
}
