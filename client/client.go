package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of a Client. Every call also honours its context.
const (
	// DefaultTimeout bounds one HTTP request, answer included.
	DefaultTimeout = 30 * time.Second
	// maxResponseBytes bounds a successful answer: a page of 100 maximal
	// messages (64 KiB of Markdown, its HTML, JSON escaping) fits.
	maxResponseBytes = 64 << 20
	// maxErrorBytes bounds an error answer; the contract's are tiny.
	maxErrorBytes = 64 << 10
	userAgent     = "campfire-go-client/1"
)

// Client calls Campfire's HTTP API as one person (or anonymously, for
// Setup, SignIn and Join). It is safe for concurrent use. Clients made by
// WithToken share the connection pool of the Client they came from, so a
// program acting as many people keeps one pool.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
	ua    string
}

// Option configures a Client.
type Option func(*Client)

// WithToken authenticates every request with a session token (what Setup,
// SignIn and Join return).
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient replaces the default HTTP client (DefaultTimeout, a
// connection pool sized for a busy bot). Its Timeout, if any, bounds each
// request. The cable dials with its own dialer (CableOptions.Dialer).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option { return func(c *Client) { c.ua = ua } }

// New returns a client of the server at baseURL (such as
// "https://chat.example.com"; a path prefix is kept).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("campfire: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("campfire: base URL %q: want http(s)://host[:port]", baseURL)
	}
	c := &Client{base: u, ua: userAgent}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	return c, nil
}

func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Keep enough idle connections to one server for concurrent callers;
	// the default (2) makes a busy program open and close connections.
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	t.ResponseHeaderTimeout = DefaultTimeout
	return &http.Client{Timeout: DefaultTimeout, Transport: t}
}

// WithToken returns a client acting with token that shares c's base URL
// and connection pool.
func (c *Client) WithToken(token string) *Client {
	cc := *c
	cc.token = token
	return &cc
}

// Token is the session token the client sends, "" when anonymous.
func (c *Client) Token() string { return c.token }

// BaseURL is the server's URL, as given to New.
func (c *Client) BaseURL() string { return c.base.String() }

// Error is a request the server refused: the contract's
// {"error":{"code","message"}} with the HTTP status. Use errors.As to get
// it.
type Error struct {
	// Status is the HTTP status (0 for an error frame on the cable).
	Status int
	// Code is the contract's stable snake_case code, such as "not_found"
	// or "rate_limited"; empty when the answer was not the contract's JSON
	// (a proxy's error page).
	Code string
	// Message is a sentence for people.
	Message string
	// RetryAfter is when to try again, from a 429's Retry-After header; 0
	// when the server did not say.
	RetryAfter time.Duration
	// RequestID is the server's X-Request-Id: quote it when reporting a 500.
	RequestID string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("campfire: ")
	if e.Status != 0 {
		b.WriteString(strconv.Itoa(e.Status))
		b.WriteByte(' ')
	}
	if e.Code != "" {
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// ErrorCode is err's contract code if it is (or wraps) an *Error, else "".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// NewClientMessageID returns a fresh random client_message_id (128 bits,
// hex), what PostMessage and Cable.Post use when given "".
func NewClientMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// request is one API call. body is nil, a rawBody, or a value sent as JSON.
type request struct {
	method string
	path   string
	query  url.Values
	body   any
	auth   bool // send the token
}

// rawBody is sent as is (the bot API takes raw text).
type rawBody struct {
	contentType string
	text        string
}

// do runs req and decodes a successful answer into out (nil: discard).
// It returns the status, so callers can tell 201 from 200.
func (c *Client) do(ctx context.Context, req request, out any) (int, error) {
	u := *c.base
	u.Path += req.path
	u.RawPath = ""
	if req.query != nil {
		u.RawQuery = req.query.Encode()
	}
	var (
		body []byte
		ct   string
	)
	switch b := req.body.(type) {
	case nil:
	case rawBody:
		body, ct = []byte(b.text), b.contentType
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, fmt.Errorf("campfire: encoding %s %s: %w", req.method, req.path, err)
		}
		body, ct = j, "application/json"
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("campfire: %s %s: %w", req.method, req.path, err)
	}
	if body == nil {
		hreq.Body, hreq.ContentLength, hreq.GetBody = http.NoBody, 0, nil
	}
	if ct != "" {
		hreq.Header.Set("Content-Type", ct)
	}
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", c.ua)
	if req.auth && c.token != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(hreq)
	if err != nil {
		return 0, fmt.Errorf("campfire: %s %s: %w", req.method, req.path, err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 400 {
		return res.StatusCode, decodeError(res)
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorBytes))
		return res.StatusCode, nil
	}
	lr := &io.LimitedReader{R: res.Body, N: maxResponseBytes + 1}
	if err := json.NewDecoder(lr).Decode(out); err != nil {
		if lr.N <= 0 {
			return res.StatusCode, fmt.Errorf("campfire: %s %s: answer larger than %d bytes", req.method, req.path, maxResponseBytes)
		}
		return res.StatusCode, fmt.Errorf("campfire: %s %s: decoding answer: %w", req.method, req.path, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorBytes))
	return res.StatusCode, nil
}

// decodeError reads the contract's error body of res.
func decodeError(res *http.Response) *Error {
	e := &Error{Status: res.StatusCode, RequestID: res.Header.Get("X-Request-Id")}
	if s := res.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		} else if t, err := http.ParseTime(s); err == nil {
			e.RetryAfter = max(time.Until(t), 0)
		}
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBytes))
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message = body.Error.Code, body.Error.Message
	} else {
		e.Message = http.StatusText(res.StatusCode)
	}
	return e
}

// retryable reports whether a request that failed with err may be sent
// again without harm by an idempotent caller: the network failed, or the
// server (or a proxy in front of it) was briefly unavailable.
func retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		switch e.Status {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
