package codec

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"
)

// ServerConfig is who may ask the codec server to decode.
type ServerConfig struct {
	// Tokens are the bearer tokens accepted in the Authorization header
	// (several, for rotation): the CLI sends one with --codec-auth.
	Tokens []string
	// AllowedOrigins are the Web UI origins (scheme://host:port) that
	// browsers may call the server from.
	AllowedOrigins []string
	// UIWithoutToken accepts a request without a token when a browser sends
	// it from an allowed origin: the dev server's Web UI has no login, so it
	// has no token to forward. Only for a server on a loopback address,
	// where any local process could read the local key file anyway.
	UIWithoutToken bool
	Logger         *slog.Logger
}

// MaxBody bounds a request: Temporal refuses payloads over 2 MiB, and the
// Web UI decodes one event's payloads at a time.
const MaxBody = 16 << 20

// Handler serves /encode and /decode as the Temporal Web UI and CLI call
// them (POST, {"payloads":[...]} in protobuf JSON), with CORS for the UI's
// origins and /healthz unauthenticated.
func Handler(c converter.PayloadCodec, cfg ServerConfig) http.Handler {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	tokens := make([][32]byte, len(cfg.Tokens))
	for i, t := range cfg.Tokens {
		tokens[i] = sha256.Sum256([]byte(t))
	}
	codecs := converter.NewPayloadCodecHTTPHandler(c)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := origin != "" && slices.Contains(cfg.AllowedOrigins, origin)
		if allowed {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			if !allowed {
				http.Error(w, "origin not allowed", http.StatusForbidden)
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if origin != "" && !allowed {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		if !authorized(r, tokens) && !(cfg.UIWithoutToken && allowed) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="codec"`)
			http.Error(w, "a bearer token is required", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		logger.Debug("Codec request", "path", r.URL.Path, "namespace", r.Header.Get("X-Namespace"), "origin", origin)
		codecs.ServeHTTP(w, r)
	})
	return mux
}

// authorized compares the request's bearer token with every accepted one
// in constant time (by their hashes, which have one length).
func authorized(r *http.Request, tokens [][32]byte) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for _, t := range tokens {
		match |= subtle.ConstantTimeCompare(got[:], t[:])
	}
	return match == 1
}
