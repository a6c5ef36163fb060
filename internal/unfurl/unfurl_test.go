package unfurl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// loopback lets the tests' own servers through; every refusal test uses a
// fetcher without it, or targets an address outside it.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func htmlPage(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}
}

func refused(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("%s: err = %v, want a refusal", what, err)
	}
}

func TestFetchOpenGraph(t *testing.T) {
	s := serve(t, htmlPage(`<!doctype html><html><head>
		<meta charset="utf-8">
		<title>Fallback title</title>
		<meta property="og:title" content="  The   Title &amp; more ">
		<meta property="og:description" content="What it is about.">
		<meta property="og:site_name" content="Example">
		<meta property="og:image" content="/img/card.png">
		<meta name="description" content="meta description">
		</head><body><meta property="og:title" content="ignored, in body"></body></html>`))
	f := New(Config{AllowForTests: loopback})
	p, err := f.Fetch(t.Context(), s.URL+"/page")
	if err != nil {
		t.Fatal(err)
	}
	want := Page{URL: s.URL + "/page", Title: "The Title & more", Description: "What it is about.",
		SiteName: "Example", ImageURL: s.URL + "/img/card.png"}
	if p != want {
		t.Fatalf("got  %+v\nwant %+v", p, want)
	}
}

func TestFetchFallbacks(t *testing.T) {
	s := serve(t, htmlPage("<html><head><title>\n Plain\tpage\n</title><meta name=description content='Described.'>"+
		"<meta property=og:image content='javascript:alert(1)'></head></html>"))
	p, err := New(Config{AllowForTests: loopback}).Fetch(t.Context(), s.URL)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Plain page" || p.Description != "Described." || p.ImageURL != "" {
		t.Fatalf("got %+v", p)
	}
	long := strings.Repeat("é", 1000)
	s2 := serve(t, htmlPage("<title>"+long+"</title><meta property='og:description' content='a\x00b\u202ec'>"))
	p, err = New(Config{AllowForTests: loopback}).Fetch(t.Context(), s2.URL)
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(p.Title)); n != maxTitle+1 || !strings.HasSuffix(p.Title, "…") {
		t.Errorf("title of %d runes: %q", n, p.Title)
	}
	if p.Description != "abc" {
		t.Errorf("description %q", p.Description)
	}
}

// Each refusal of the guard, proved against a server the test runs (or an
// address nothing listens on: the guard refuses before connecting).
func TestRefusals(t *testing.T) {
	page := serve(t, htmlPage("<title>hi</title>"))
	var hops atomic.Int64
	var loop *httptest.Server
	loop = serve(t, func(w http.ResponseWriter, r *http.Request) {
		hops.Add(1)
		http.Redirect(w, r, loop.URL+"/again", http.StatusFound)
	})
	to := func(target string) *httptest.Server {
		return serve(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, target, http.StatusFound) })
	}
	big := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := bytes.Repeat([]byte("<p>aaaaaaaaa</p>\n"), 1<<12)
		for sent := 0; sent <= 6<<20; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	bigDeclared := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", fmt.Sprint(6<<20))
		w.WriteHeader(http.StatusOK)
	})
	json := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"title":"x"}`)
	})
	sniffable := serve(t, func(w http.ResponseWriter, r *http.Request) {
		// No Content-Type: Go would sniff it as HTML; we do not.
		w.Header()["Content-Type"] = nil
		fmt.Fprint(w, "<html><title>x</title>")
	})

	allowed := New(Config{AllowForTests: loopback})
	strict := New(Config{})
	for _, c := range []struct {
		name string
		f    *Fetcher
		url  string
	}{
		{"loopback", strict, page.URL},
		{"loopback by name, refused after resolution", strict, strings.Replace(page.URL, "127.0.0.1", "localhost", 1)},
		{"other loopback", allowed, "http://127.0.0.2:1/"},
		{"private 10/8", allowed, "http://10.1.2.3/"},
		{"private 192.168/16", allowed, "http://192.168.1.1/"},
		{"private 172.16/12", allowed, "http://172.20.0.1/"},
		{"CGNAT", allowed, "http://100.64.1.1/"},
		{"link-local", allowed, "http://169.254.10.10/"},
		{"metadata", allowed, "http://169.254.169.254/latest/meta-data/"},
		{"metadata v6", allowed, "http://[fd00:ec2::254]/latest/meta-data/"},
		{"unique-local v6", allowed, "http://[fd12:3456::1]/"},
		{"loopback v6", allowed, "http://[::1]/"},
		{"mapped v4 loopback", allowed, "http://[::ffff:127.0.0.2]/"},
		{"unspecified", allowed, "http://0.0.0.0/"},
		{"multicast", allowed, "http://224.0.0.1/"},
		{"redirect into private", allowed, to("http://10.0.0.1/admin").URL},
		{"redirect into metadata", allowed, to("http://169.254.169.254/latest/meta-data/").URL},
		{"redirect to file", allowed, to("file:///etc/passwd").URL},
		{"redirect to gopher", allowed, to("gopher://example.com/").URL},
		{"too many redirects", allowed, loop.URL},
		{"larger than 5 MB", allowed, big.URL},
		{"declared larger than 5 MB", allowed, bigDeclared.URL},
		{"not HTML", allowed, json.URL},
		{"no content type", allowed, sniffable.URL},
		{"file scheme", allowed, "file:///etc/passwd"},
		{"ftp scheme", allowed, "ftp://example.com/"},
		{"javascript scheme", allowed, "javascript:alert(1)"},
		{"credentials", allowed, "http://user:pass@127.0.0.1/"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.f.Fetch(t.Context(), c.url)
			refused(t, err, c.url)
		})
	}
	if n := hops.Load(); n != 11 {
		t.Errorf("the redirect loop was followed %d times, want 11 (the first request and 10 redirects)", n)
	}
}

// A server that never answers is given up on at the timeout.
func TestSlowServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	slow := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "<html><head>")
		w.(http.Flusher).Flush()
		select { // trickle nothing more until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	f := New(Config{AllowForTests: loopback, Timeout: 200 * time.Millisecond})
	done := make(chan error, 1)
	go func() {
		_, err := f.Fetch(context.Background(), slow.URL)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "Timeout") {
			t.Fatalf("err = %v, want a timeout", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Fetch did not give up on a server that never finishes")
	}
}

func TestFetchImage(t *testing.T) {
	var pngBytes bytes.Buffer
	_ = png.Encode(&pngBytes, image.NewRGBA(image.Rect(0, 0, 4, 3)))
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok.png":
			// A wrong header: the bytes decide.
			w.Header().Set("Content-Type", "text/plain")
			w.Write(pngBytes.Bytes())
		case "/x.svg":
			w.Header().Set("Content-Type", "image/svg+xml")
			fmt.Fprint(w, `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)
		case "/page.png":
			w.Header().Set("Content-Type", "image/png")
			fmt.Fprint(w, "<html><script>alert(1)</script>")
		case "/big.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(pngBytes.Bytes())
			w.Write(make([]byte, 3<<20))
		}
	})
	f := New(Config{AllowForTests: loopback})
	img, err := f.FetchImage(t.Context(), s.URL+"/ok.png")
	if err != nil || img.ContentType != "image/png" || !bytes.Equal(img.Data, pngBytes.Bytes()) {
		t.Fatalf("ok.png: %v %q", err, img.ContentType)
	}
	for _, p := range []string{"/x.svg", "/page.png", "/big.png"} {
		_, err := f.FetchImage(t.Context(), s.URL+p)
		refused(t, err, p)
	}
	_, err = New(Config{}).FetchImage(t.Context(), s.URL+"/ok.png")
	refused(t, err, "image on loopback")
}

func TestPublic(t *testing.T) {
	for ip, want := range map[string]bool{
		"93.184.216.34": true, "1.1.1.1": true, "2606:4700:4700::1111": true,
		"127.0.0.1": false, "10.0.0.1": false, "172.16.0.1": false, "192.168.0.1": false,
		"100.64.0.1": false, "169.254.169.254": false, "0.0.0.0": false, "255.255.255.255": false,
		"224.0.0.1": false, "::1": false, "::": false, "fe80::1": false, "fc00::1": false,
		"fd00:ec2::254": false, "ff02::1": false, "::ffff:10.0.0.1": false, "64:ff9b::a00:1": false,
		"2002:a00:1::": false, "192.0.2.1": false, "198.18.0.1": false, "240.0.0.1": false,
		// IPv4-compatible (deprecated) and IPv4-translated (SIIT) forms embed
		// an IPv4 address as well; a translator or tunnel may deliver them to it.
		"::127.0.0.1": false, "::169.254.169.254": false, "::ffff:0:127.0.0.1": false, "::ffff:0:a00:1": false,
	} {
		if got := Public(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Public(%s) = %v, want %v", ip, got, want)
		}
	}
}

func TestFirstURL(t *testing.T) {
	for body, want := range map[string]string{
		"see https://example.com/a.":                      "https://example.com/a",
		"(https://example.com/wiki/Go_(language))":        "https://example.com/wiki/Go_(language)",
		"[docs](https://example.com/docs), then":          "https://example.com/docs",
		"http://a.example and https://b.example":          "http://a.example",
		"`https://in.code` https://out.example":           "https://out.example",
		"```\nhttps://fenced.example\n```\nnone":          "",
		"ftp://example.com javascript:alert(1)":           "",
		"no link here":                                    "",
		"<https://angle.example/x>":                       "https://angle.example/x",
		"https://":                                        "",
		"visit https://example.com/?q=1&r=2!":             "https://example.com/?q=1&r=2",
		"https://user:pw@example.com/ https://ok.example": "https://ok.example",
	} {
		if got := FirstURL(body); got != want {
			t.Errorf("FirstURL(%q) = %q, want %q", body, got, want)
		}
	}
}

// FirstURL is linear in the body: a line of schemes without hosts (each a
// candidate refused) used to rescan the rest of the line for "https://"
// after each one, seconds for a few hundred KB. The bound is a thousand
// times what a linear scan takes, so it does not flake on a slow machine.
func TestFirstURLLinear(t *testing.T) {
	for _, body := range []string{strings.Repeat("http:// ", 32000), strings.Repeat("https:// ", 28000) + "http://ok.example"} {
		start := time.Now()
		FirstURL(body)
		if d := time.Since(start); d > time.Second {
			t.Errorf("FirstURL of %d bytes took %v", len(body), d)
		}
	}
	if got := FirstURL(strings.Repeat("https:// ", 100) + "HTTP://no http://yes.example"); got != "http://yes.example" {
		t.Errorf("FirstURL after refused candidates = %q", got)
	}
}
