package salesstandin

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

const tokenLifetime = 3599 * time.Second

// tokenIssuer plays Entra ID's client-credentials endpoint for the one client the stand-in knows.
// Tokens are signed rather than remembered so that they stay valid across a restart of the stand-in,
// as real tokens outlive a Dataverse restart; a worker holding one does not start failing.
type tokenIssuer struct {
	clientID     string
	clientSecret string
	key          []byte
	now          func() time.Time
}

func newTokenIssuer(clientID, clientSecret string, now func() time.Time) tokenIssuer {
	key := sha256.Sum256([]byte("salesstandin token\x00" + clientID + "\x00" + clientSecret))
	return tokenIssuer{clientID: clientID, clientSecret: clientSecret, key: key[:], now: now}
}

func (t tokenIssuer) issue() string {
	exp := strconv.FormatInt(t.now().Add(tokenLifetime).Unix(), 10)
	return "standin." + exp + "." + t.sign(exp)
}

func (t tokenIssuer) sign(exp string) string {
	mac := hmac.New(sha256.New, t.key)
	mac.Write([]byte(exp))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (t tokenIssuer) valid(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] != "standin" {
		return false
	}
	if !hmac.Equal([]byte(parts[2]), []byte(t.sign(parts[1]))) {
		return false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	return err == nil && t.now().Unix() < exp
}

// handleToken answers POST /{tenant}/oauth2/v2.0/token. Credentials may come in the form or, as
// golang.org/x/oauth2 tries first, in HTTP basic auth with both parts URL-encoded.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body must contain a valid form.")
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if user, pass, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(user)
		secret, _ = url.QueryUnescape(pass)
	}
	switch {
	case r.PostForm.Get("grant_type") != "client_credentials":
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type",
			"AADSTS70003: The app requested an unsupported grant type. The stand-in supports client_credentials only.")
		return
	case id == "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request",
			"AADSTS900144: The request body must contain the following parameter: 'client_id'.")
		return
	case subtle.ConstantTimeCompare([]byte(id), []byte(s.tokens.clientID)) != 1:
		writeOAuthError(w, http.StatusBadRequest, "unauthorized_client",
			"AADSTS700016: Application with identifier was not found in the directory.")
		s.log.Info("token refused", "reason", "unknown client")
		return
	case subtle.ConstantTimeCompare([]byte(secret), []byte(s.tokens.clientSecret)) != 1:
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client",
			"AADSTS7000215: Invalid client secret provided.")
		s.log.Info("token refused", "reason", "wrong secret")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":%d,"ext_expires_in":%d,"access_token":%q}`,
		int(tokenLifetime.Seconds()), int(tokenLifetime.Seconds()), s.tokens.issue())
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":%q,"error_description":%q,"error_codes":[],"timestamp":%q,"trace_id":%q,"correlation_id":%q}`,
		code, description, time.Now().UTC().Format("2006-01-02 15:04:05Z"), uuid.NewString(), uuid.NewString())
}

// requireToken guards the Web API: every call needs a bearer token this stand-in issued.
func (s *Server) requireToken(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !s.tokens.valid(strings.TrimSpace(token)) {
			w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+baseURL(r)+`/common/oauth2/authorize"`)
			writeError(w, &apiError{http.StatusUnauthorized, codeUnauthorized, "The user is not authenticated: a valid bearer token is required."})
			return
		}
		next(w, r)
	}
}
