// Package push sends Web Push notifications: VAPID (RFC 8292) to identify
// the server, aes128gcm payload encryption (RFC 8291) so push services
// carry only ciphertext, and a bounded pool of senders.
//
// Everything is the standard library: crypto/ecdh, crypto/ecdsa,
// crypto/hkdf and AES-GCM cover both RFCs in about 150 lines, pinned by
// RFC 8291's own test vector, so no third-party push library (which would
// bring its own HTTP client and JWT package) stands between the server and
// endpoints that people supply.
package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Job is one notification to one subscription.
type Job struct {
	SubscriptionID int64
	Endpoint       string
	P256dh, Auth   string
	Payload        []byte // JSON, at most MaxPayload bytes
}

// Options configure a Pool. Zero values take the defaults.
type Options struct {
	// Subject is the VAPID "sub" claim: a mailto: or https: contact for the
	// push services' operators. Empty: Subject func is asked per send.
	Subject func() string
	// Workers send concurrently (default 4); Queue bounds the jobs waiting
	// for them (default 1000). Past it jobs are dropped and counted.
	Workers int
	Queue   int
	// Planners run Plan tasks (who gets what; default 2), PlanQueue bounds
	// them (default 1000).
	Planners  int
	PlanQueue int
	// Timeout bounds one request to a push service (default 10 s).
	Timeout time.Duration
	// Retries is how many times a 429, 5xx or network failure is tried
	// again (default 2), waiting RetryDelay (default 1 s) doubled each
	// time, or the service's Retry-After when it asks for up to MaxWait
	// (default 10 s); a longer wait drops the job.
	Retries    int
	RetryDelay time.Duration
	MaxWait    time.Duration
	// TTL is how long a push service keeps a notification for a device
	// that is offline (default 24 h).
	TTL time.Duration
	// AllowLoopback lets endpoints be http on a loopback address (tests
	// only: their receiver is an httptest server).
	AllowLoopback bool
	// Gone is called for a subscription the push service says no longer
	// exists (404, 410); the caller deletes it.
	Gone func(ctx context.Context, subscriptionID int64)
	Log  *slog.Logger
}

func (o *Options) defaults() {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Queue <= 0 {
		o.Queue = 1000
	}
	if o.Planners <= 0 {
		o.Planners = 2
	}
	if o.PlanQueue <= 0 {
		o.PlanQueue = 1000
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 2
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 10 * time.Second
	}
	if o.TTL <= 0 {
		o.TTL = 24 * time.Hour
	}
	if o.Subject == nil {
		o.Subject = func() string { return "" }
	}
	if o.Gone == nil {
		o.Gone = func(context.Context, int64) {}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Stats are the pool's counters since it started.
type Stats struct {
	Sent    uint64 // accepted by the push service (2xx)
	Gone    uint64 // 404/410: subscription deleted
	Failed  uint64 // refused, or still failing after the retries
	Retried uint64 // attempts repeated after a 429, 5xx or network failure
	Dropped uint64 // jobs or plans not queued (queue full, pool stopped) or cut short by shutdown
}

// Pool sends jobs on a fixed set of workers fed by bounded queues. Enqueue
// and Plan never block; Run owns every goroutine and returns once they
// stopped.
type Pool struct {
	vapid  *VAPID
	opts   Options
	client *http.Client
	jobs   chan Job
	plans  chan func(context.Context)

	mu      sync.RWMutex // guards stopped against sends on closed queues
	stopped bool

	sent, gone, failed, retried, dropped atomic.Uint64
}

// New builds a pool that signs with vapid. Run starts it.
func New(vapid *VAPID, opts Options) *Pool {
	opts.defaults()
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: dialControl(opts.AllowLoopback)}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   opts.Workers,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
	}
	return &Pool{
		vapid: vapid, opts: opts,
		client: &http.Client{
			Transport: tr,
			Timeout:   opts.Timeout,
			// A push service answers; it does not send us elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		jobs:  make(chan Job, opts.Queue),
		plans: make(chan func(context.Context), opts.PlanQueue),
	}
}

// PublicKey is the VAPID public key browsers subscribe with.
func (p *Pool) PublicKey() string { return p.vapid.PublicKey() }

// AllowLoopback reports the test-only option (endpoint validation needs it).
func (p *Pool) AllowLoopback() bool { return p.opts.AllowLoopback }

// Stats returns the counters.
func (p *Pool) Stats() Stats {
	return Stats{Sent: p.sent.Load(), Gone: p.gone.Load(), Failed: p.failed.Load(),
		Retried: p.retried.Load(), Dropped: p.dropped.Load()}
}

// Plan queues work that decides what to send (reads, then Enqueue), off
// the caller's path. It reports false, and counts a drop, when the queue
// is full or the pool has stopped.
func (p *Pool) Plan(task func(context.Context)) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if !p.stopped {
		select {
		case p.plans <- task:
			return true
		default:
		}
	}
	p.drop("plan")
	return false
}

// Enqueue queues a job; false (and a counted drop) when the queue is full
// or the pool has stopped.
func (p *Pool) Enqueue(j Job) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if !p.stopped {
		select {
		case p.jobs <- j:
			return true
		default:
		}
	}
	p.drop("send")
	return false
}

func (p *Pool) drop(what string) {
	if n := p.dropped.Add(1); n == 1 || n%100 == 0 {
		p.opts.Log.Warn("push queue full; dropping", "what", what, "dropped_total", n)
	}
}

// Run runs the planners and senders until ctx is done. Work still queued
// then is dropped (a notification is worth little late), and in-flight
// requests are cancelled.
func (p *Pool) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range p.opts.Planners {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case task := <-p.plans:
					if ctx.Err() != nil { // select picks at random once both are ready
						p.dropped.Add(1)
						continue
					}
					task(ctx)
				}
			}
		})
	}
	for range p.opts.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-p.jobs:
					if ctx.Err() != nil {
						p.dropped.Add(1)
						continue
					}
					p.send(ctx, j)
				}
			}
		})
	}
	<-ctx.Done()
	wg.Wait()
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	for len(p.jobs) > 0 {
		<-p.jobs
		p.dropped.Add(1)
	}
	for len(p.plans) > 0 {
		<-p.plans
		p.dropped.Add(1)
	}
	p.client.CloseIdleConnections()
	return nil
}

// send delivers one job, retrying what may pass on a second try.
func (p *Pool) send(ctx context.Context, j Job) {
	body, err := Encrypt(j.Payload, j.P256dh, j.Auth)
	if err != nil {
		p.failed.Add(1)
		p.opts.Log.Warn("push: encrypting", "subscription", j.SubscriptionID, "err", err)
		return
	}
	delay := p.opts.RetryDelay
	for attempt := 0; ; attempt++ {
		status, retryAfter, err := p.post(ctx, j, body)
		switch {
		case err == nil && status >= 200 && status < 300:
			p.sent.Add(1)
			return
		case err == nil && (status == http.StatusNotFound || status == http.StatusGone):
			p.gone.Add(1)
			p.opts.Gone(ctx, j.SubscriptionID)
			return
		case ctx.Err() != nil: // stopping: cut short
			p.dropped.Add(1)
			return
		case err == nil && status != http.StatusTooManyRequests && status < 500:
			// 400 (bad request), 401/403 (VAPID refused), 413: trying
			// again will not help.
			p.failed.Add(1)
			p.opts.Log.Warn("push refused", "subscription", j.SubscriptionID, "status", status)
			return
		}
		wait := delay
		if retryAfter > 0 {
			wait = retryAfter
		}
		if attempt >= p.opts.Retries || wait > p.opts.MaxWait {
			p.failed.Add(1)
			p.opts.Log.Warn("push failed", "subscription", j.SubscriptionID, "status", status, "err", err, "attempts", attempt+1)
			return
		}
		p.retried.Add(1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			p.dropped.Add(1)
			return
		case <-t.C:
		}
		delay *= 2
	}
}

// post makes one request; it returns the status and any Retry-After.
func (p *Pool) post(ctx context.Context, j Job, body []byte) (int, time.Duration, error) {
	auth, err := p.vapid.Authorization(j.Endpoint, p.opts.Subject(), time.Now())
	if err != nil {
		return 0, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.Endpoint, strings.NewReader(string(body)))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("TTL", strconv.Itoa(int(p.opts.TTL/time.Second)))
	req.Header.Set("Urgency", "normal")
	resp, err := p.client.Do(req)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // the url.Error's copy of the endpoint stays out of logs
		}
		return 0, 0, fmt.Errorf("posting to push service: %w", err)
	}
	// Drain a little so the connection can be reused; never read much.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 16<<10))
	resp.Body.Close()
	var retryAfter time.Duration
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		retryAfter = time.Duration(s) * time.Second
	}
	return resp.StatusCode, retryAfter, nil
}
