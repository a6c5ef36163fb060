// Package unfurl fetches what a link in a message points at (its OpenGraph
// title, description and image) on the server's behalf. It is a security
// boundary: the URLs come from anyone who can post, and the server fetching
// them sits inside a network that may hold databases, admin panels and a
// cloud metadata service. So:
//
//   - only http and https, on every hop;
//   - every connection is checked after DNS resolution, on the address
//     actually dialled (a net.Dialer Control hook), so neither a name that
//     resolves to a private address nor a redirect to one gets through, and
//     DNS rebinding between a check and the dial is impossible;
//   - at most MaxRedirects redirects, MaxBytes of body and Timeout overall;
//   - pages must be HTML; images must sniff as PNG, JPEG, GIF or WebP.
//
// Refusals are errors wrapping ErrRefused, so tests can tell them apart from
// network failures.
package unfurl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is wrapped by every refusal: a forbidden address or scheme,
// too many redirects, too large, the wrong content type.
var ErrRefused = errors.New("unfurl: refused")

// Config bounds a Fetcher. Zero values take the defaults.
type Config struct {
	// Timeout bounds one fetch, redirects and body included (default 5 s).
	Timeout time.Duration
	// MaxBytes bounds a page's body (default 5 MB); MaxImageBytes an
	// image's (default 2 MB).
	MaxBytes      int64
	MaxImageBytes int64
	// MaxRedirects is how many redirects are followed (default 10).
	MaxRedirects int
	// UserAgent is sent with every request.
	UserAgent string
	// AllowForTests lets connections reach these otherwise refused
	// prefixes. Only tests set it, to fetch from their own loopback
	// servers; nothing in the configuration or environment reaches it.
	AllowForTests []netip.Prefix
}

func (c *Config) defaults() {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 5 << 20
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = 2 << 20
	}
	if c.MaxRedirects <= 0 {
		c.MaxRedirects = 10
	}
	if c.UserAgent == "" {
		c.UserAgent = "Campfire-LinkPreview/1.0 (+https://github.com/campfire-go/campfire)"
	}
}

// Fetcher fetches pages and images through the guard. Safe for concurrent
// use.
type Fetcher struct {
	cfg    Config
	client *http.Client
}

// New builds a Fetcher.
func New(cfg Config) *Fetcher {
	cfg.defaults()
	f := &Fetcher{cfg: cfg}
	dialer := &net.Dialer{
		Timeout: cfg.Timeout,
		// Control runs after resolution, for each address tried, just
		// before connect: the check and the connection use the same IP.
		Control: func(network, address string, _ syscall.RawConn) error {
			return f.checkDial(network, address)
		},
	}
	transport := &http.Transport{
		// Never a proxy from the environment: the proxy's address would be
		// the one checked, not the target's.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        30 * time.Second,
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	f.client = &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > cfg.MaxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrRefused, cfg.MaxRedirects)
			}
			return checkURL(req.URL)
		},
	}
	return f
}

// Close releases idle connections.
func (f *Fetcher) Close() { f.client.CloseIdleConnections() }

// checkDial refuses a connection to an address that is not public unicast
// on the internet, unless a test allowed it.
func (f *Fetcher) checkDial(network, address string) error {
	if network != "tcp4" && network != "tcp6" && network != "tcp" {
		return fmt.Errorf("%w: network %s", ErrRefused, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: address %q: %v", ErrRefused, address, err)
	}
	ip := ap.Addr().Unmap()
	for _, p := range f.cfg.AllowForTests {
		if p.Contains(ip) {
			return nil
		}
	}
	if !Public(ip) {
		return fmt.Errorf("%w: %s is not a public address", ErrRefused, ip)
	}
	return nil
}

// refused are the ranges that are not the public internet, beyond what
// netip's predicates name: shared (CGNAT), benchmarking, documentation,
// reserved, and IPv6 prefixes that embed IPv4 addresses (IPv4-compatible,
// IPv4-translated, NAT64, 6to4, Teredo), which could lead back into a
// private network.
var refusedRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("::ffff:0:0:0/96"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/32"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fec0::/10"),
}

// metadata are the cloud instance metadata services, refused by the ranges
// above already and named so that stays true.
var metadata = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"),
	netip.MustParseAddr("fd00:ec2::254"),
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// Public reports whether ip is an address on the public internet: not
// private, loopback, link-local, unique-local, CGNAT, multicast,
// unspecified, reserved or a metadata service.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() ||
		ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	for _, m := range metadata {
		if ip == m {
			return false
		}
	}
	for _, p := range refusedRanges {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// checkURL refuses anything but http(s) URLs with a host.
func checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: scheme %q", ErrRefused, u.Scheme)
	}
	if u.Hostname() == "" || u.User != nil {
		return fmt.Errorf("%w: URL without a host or with credentials", ErrRefused)
	}
	return nil
}

// get fetches rawURL and returns the response if its content type passes
// ok; the body is the caller's to read (bounded) and close.
func (f *Fetcher) get(ctx context.Context, rawURL, accept string) (*http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	if err := checkURL(u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	req.Header.Set("Accept", accept)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body.Close()
		return nil, fmt.Errorf("unfurl: %s answered %d", u.Host, resp.StatusCode)
	}
	return resp, nil
}

// readBounded reads at most limit bytes of r, refusing more.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrRefused, limit)
	}
	return b, nil
}

// Page is what a page says about itself.
type Page struct {
	URL         string // the final URL, after redirects
	Title       string
	Description string
	SiteName    string
	ImageURL    string // absolute http(s) URL, "" for none
}

// Fetch reads the HTML page at rawURL and what it says about itself.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (Page, error) {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	resp, err := f.get(ctx, rawURL, "text/html,application/xhtml+xml")
	if err != nil {
		return Page{}, err
	}
	defer resp.Body.Close()
	ct, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct != "text/html" && ct != "application/xhtml+xml" {
		return Page{}, fmt.Errorf("%w: content type %q is not HTML", ErrRefused, ct)
	}
	if resp.ContentLength > f.cfg.MaxBytes {
		return Page{}, fmt.Errorf("%w: larger than %d bytes", ErrRefused, f.cfg.MaxBytes)
	}
	body, err := readBounded(resp.Body, f.cfg.MaxBytes)
	if err != nil {
		return Page{}, err
	}
	p := parse(body, params["charset"], resp.Request.URL)
	p.URL = resp.Request.URL.String()
	return p, nil
}

// Image is a fetched preview image.
type Image struct {
	Data        []byte
	ContentType string // sniffed: image/png, image/jpeg, image/gif or image/webp
}

// imageTypes are the image types served back to readers; never SVG, which
// is active content.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// FetchImage reads the image at rawURL through the same guard, bounded by
// MaxImageBytes, and sniffs its type from the bytes (the header is not
// trusted).
func (f *Fetcher) FetchImage(ctx context.Context, rawURL string) (Image, error) {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	resp, err := f.get(ctx, rawURL, "image/png,image/jpeg,image/gif,image/webp")
	if err != nil {
		return Image{}, err
	}
	defer resp.Body.Close()
	if resp.ContentLength > f.cfg.MaxImageBytes {
		return Image{}, fmt.Errorf("%w: image larger than %d bytes", ErrRefused, f.cfg.MaxImageBytes)
	}
	data, err := readBounded(resp.Body, f.cfg.MaxImageBytes)
	if err != nil {
		return Image{}, err
	}
	ct := sniffImage(data)
	if !imageTypes[ct] {
		return Image{}, fmt.Errorf("%w: not a PNG, JPEG, GIF or WebP image (%s)", ErrRefused, ct)
	}
	return Image{Data: data, ContentType: ct}, nil
}

// sniffImage is http.DetectContentType, which knows the four types by their
// signatures; WebP is also checked by hand for older Go versions' sake.
func sniffImage(b []byte) string {
	if len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")) {
		return "image/webp"
	}
	ct, _, _ := strings.Cut(http.DetectContentType(b), ";")
	return ct
}
