package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestTarget(t *testing.T) {
	for _, tc := range []struct {
		env     map[string]string
		want    string
		wantErr bool
	}{
		{nil, "http://127.0.0.1:3000/up", false},
		{map[string]string{"PORT": "8080"}, "http://127.0.0.1:8080/up", false},
		{map[string]string{"BIND": "0.0.0.0"}, "http://127.0.0.1:3000/up", false},
		{map[string]string{"BIND": "::"}, "http://127.0.0.1:3000/up", false},
		{map[string]string{"BIND": "10.1.2.3", "PORT": "3001"}, "http://10.1.2.3:3001/up", false},
		{map[string]string{"BIND": "::1"}, "http://[::1]:3000/up", false},
		{map[string]string{"HEALTHCHECK_URL": "http://x/up"}, "http://x/up", false},
		{map[string]string{"PORT": "http"}, "", true},
		{map[string]string{"PORT": "70000"}, "", true},
		{map[string]string{"BIND": "localhost"}, "", true},
	} {
		got, err := target(func(k string) string { return tc.env[k] })
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%v: got %q, %v; want %q (error %v)", tc.env, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestCheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/up" {
			http.NotFound(w, r)
		}
	}))
	defer ok.Close()
	if err := check(ok.URL+"/up", time.Second); err != nil {
		t.Errorf("healthy server: %v", err)
	}
	if err := check(ok.URL+"/nope", time.Second); err == nil {
		t.Error("404 passed")
	}
	ok.Close()
	if err := check(ok.URL+"/up", time.Second); err == nil {
		t.Error("closed server passed")
	}
}
