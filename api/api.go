// Package api holds the OpenAPI document of the intake, the HTTP API the B2B
// site calls, and serves it. The document is the contract the integrating
// shops build against; the intake's tests check its real answers against it.
package api

import (
	_ "embed"
	"net/http"
)

// Document is the intake's OpenAPI document, as YAML.
//
//go:embed openapi.yaml
var Document []byte

// DocumentPath is where the starter serves Document, without an API key.
const DocumentPath = "/openapi.yaml"

// ServeDocument answers Document.
func ServeDocument(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(Document)
}
