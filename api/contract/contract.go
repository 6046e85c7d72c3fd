// Package contract checks HTTP calls to the intake and their answers against
// its OpenAPI document, so that the document cannot drift from the code: the
// intake's tests and the integration run pass every call they make through
// Check.
package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/partner-onboarding/onboarding/api"
)

// Load reads and validates api.Document.
func Load(ctx context.Context) (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.Document)
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	if err := doc.Validate(ctx, openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is not valid: %w", err)
	}
	return doc, nil
}

// Checker matches calls to the document's operations and validates them.
type Checker struct {
	router routers.Router
}

var (
	shared     *Checker
	sharedErr  error
	sharedOnce sync.Once
)

// Shared is one Checker for the whole test binary: the document is loaded
// and validated once.
func Shared() (*Checker, error) {
	sharedOnce.Do(func() { shared, sharedErr = New(context.Background()) })
	return shared, sharedErr
}

// New loads the document and makes a Checker of it.
func New(ctx context.Context) (*Checker, error) {
	doc, err := Load(ctx)
	if err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the OpenAPI document: %w", err)
	}
	return &Checker{router: router}, nil
}

// Check validates one call and its answer. Every answer must be one the
// document describes, status, headers and body. The call itself must match
// the document when the intake took it (2xx): a call the intake refused may
// be as wrong as the refusal says. r's body is not read; body is what was
// sent.
func (c *Checker) Check(r *http.Request, body []byte, status int, header http.Header, answer []byte) error {
	ctx := r.Context()
	// The router matches on the path only: the document names no server,
	// and the intake listens wherever it is deployed.
	routed := r.Clone(ctx)
	routed.URL.Scheme, routed.URL.Host, routed.Host = "", "", ""
	routed.Body = http.NoBody
	if body != nil {
		routed.Body = readCloser{bytes.NewReader(body)}
	}
	route, params, err := c.router.FindRoute(routed)
	if err != nil {
		return fmt.Errorf("%s %s is not in the OpenAPI document: %w", r.Method, r.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: routed, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: carriesKey, IncludeResponseStatus: true, MultiError: true}}
	var errs []error
	if status >= 200 && status < 300 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			errs = append(errs, fmt.Errorf("the call, which was answered %d, does not match the document: %w", status, err))
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Options: in.Options}
	out.SetBodyBytes(answer)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		errs = append(errs, fmt.Errorf("the answer %d %s does not match the document: %w", status, answer, err))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, err)
	}
	return nil
}

// carriesKey holds a call to the document's security schemes: it carries a
// key in the scheme's place. Whether the key is valid is the intake's to say.
func carriesKey(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	switch {
	case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"):
		scheme, token, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
		if ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) != "" {
			return nil
		}
	case s.Type == "apiKey" && s.In == "header":
		if in.RequestValidationInput.Request.Header.Get(s.Name) != "" {
			return nil
		}
	default:
		return fmt.Errorf("security scheme %s %s is not checked", s.Type, s.Scheme)
	}
	return fmt.Errorf("no key for %s", in.SecuritySchemeName)
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// Handler serves next and passes every call and its answer through Check,
// reporting a mismatch to report.
func (c *Checker) Handler(next http.Handler, report func(error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			var err error
			if body, err = io.ReadAll(r.Body); err != nil {
				report(fmt.Errorf("%s %s: read the call: %w", r.Method, r.URL.Path, err))
			}
			r.Body = readCloser{bytes.NewReader(body)}
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if err := c.Check(r, body, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			report(err)
		}
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}
