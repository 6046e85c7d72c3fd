package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"status":"alive"}`)) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"temporal":"connection refused"}`))
	})
	mux.Handle("/moved", http.RedirectHandler("/healthz", http.StatusFound))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tc := range []struct {
		path    string
		healthy bool
		says    string
	}{
		{"/healthz", true, ""},
		{"/readyz", false, "connection refused"},
		{"/moved", false, "302"},
		{"/missing", false, "404"},
	} {
		err := check(context.Background(), srv.Client(), srv.URL+tc.path)
		if tc.healthy != (err == nil) {
			t.Errorf("check(%s) = %v, want healthy %v", tc.path, err, tc.healthy)
		}
		if err != nil && !strings.Contains(err.Error(), tc.says) {
			t.Errorf("check(%s) = %v, want it to say %q", tc.path, err, tc.says)
		}
	}

	srv.Close()
	if err := check(context.Background(), http.DefaultClient, srv.URL+"/healthz"); err == nil {
		t.Error("check on a closed server succeeded")
	}
}
