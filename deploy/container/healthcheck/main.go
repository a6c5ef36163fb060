// Command campfire-healthcheck is the container image's HEALTHCHECK: the
// image is FROM scratch (no shell, no curl), so a tiny static binary asks
// the server's GET /up and exits 0 on 200, 1 otherwise.
//
// It reads the same environment as the server: PORT (default 3000) and
// BIND (an unspecified or empty address means 127.0.0.1). HEALTHCHECK_URL,
// when set, is asked instead.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	url, err := target(os.Getenv)
	if err == nil {
		err = check(url, 3*time.Second)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "campfire-healthcheck:", err)
		os.Exit(1)
	}
}

// target builds the URL of /up from PORT and BIND.
func target(getenv func(string) string) (string, error) {
	if u := getenv("HEALTHCHECK_URL"); u != "" {
		return u, nil
	}
	port := 3000
	if p := getenv("PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("PORT=%q is not a port", p)
		}
		port = n
	}
	host := "127.0.0.1"
	if b := getenv("BIND"); b != "" {
		ip := net.ParseIP(b)
		if ip == nil {
			return "", fmt.Errorf("BIND=%q is not an IP address", b)
		}
		if !ip.IsUnspecified() {
			host = b
		}
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/up", nil
}

func check(url string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
