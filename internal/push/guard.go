package push

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// maxEndpoint bounds an endpoint URL; real ones are 100-600 bytes.
const maxEndpoint = 2048

// An endpoint is a URL a person hands us and the server then POSTs to, so
// it is guarded like any server-side fetch: https only, and never to this
// host or its network. The check at subscribe time reads the URL; the one
// that counts runs at connect time on the address DNS resolved to
// (dialControl), so a name that resolves privately, or starts to later,
// still cannot reach inside.

// CheckEndpoint validates an endpoint URL as given by a browser. With
// allowLoopback (tests only) http to a loopback address is accepted too.
func CheckEndpoint(endpoint string, allowLoopback bool) error {
	if endpoint == "" {
		return errors.New("endpoint is required")
	}
	if len(endpoint) > maxEndpoint {
		return fmt.Errorf("endpoint is longer than %d bytes", maxEndpoint)
	}
	u, err := url.Parse(endpoint)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return errors.New("endpoint must be an absolute https URL")
	}
	if u.User != nil || u.Fragment != "" {
		return errors.New("endpoint must not carry credentials or a fragment")
	}
	host := u.Hostname()
	addr, isIP := parseHostIP(host)
	loopback := isIP && addr.IsLoopback() || strings.EqualFold(host, "localhost")
	if allowLoopback && loopback {
		if u.Scheme != "https" && u.Scheme != "http" {
			return errors.New("endpoint must be an http(s) URL")
		}
		return nil
	}
	if u.Scheme != "https" {
		return errors.New("endpoint must be an https URL")
	}
	if loopback || strings.HasSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), ".localhost") {
		return errors.New("endpoint must be a public push service, not this host")
	}
	if isIP && !publicAddr(addr) {
		return errors.New("endpoint must be a public push service, not a private address")
	}
	return nil
}

func parseHostIP(host string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// nonPublic are ranges netip's predicates do not cover that must not be
// reached either: shared address space (CGNAT), IETF protocol assignments,
// benchmarking, the reserved class E, and NAT64 (which maps onto IPv4,
// private ranges included).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// publicAddr reports whether a is a globally routable unicast address.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// dialControl refuses connections to non-public addresses (after DNS
// resolution, per address tried), or with allowLoopback to anything but
// public and loopback ones.
func dialControl(allowLoopback bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		a, ok := parseHostIP(host)
		if !ok {
			return fmt.Errorf("push: refusing to dial %q", address)
		}
		if publicAddr(a) || allowLoopback && a.IsLoopback() {
			return nil
		}
		return fmt.Errorf("push: refusing to dial non-public address %s", a)
	}
}
