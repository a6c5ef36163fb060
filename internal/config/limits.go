package config

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/campfire-go/campfire/internal/ratelimit"
)

// Limits are the rate and size limits an operator may change. Rates are
// written "N/duration" (ratelimit.ParseRate): N events at once, refilling
// to N over the duration.
type Limits struct {
	// Posts is each person's budget for posting, editing and boosting
	// (RATE_LIMIT_POSTS, -rate-limit-posts). A message costs one token per
	// started 4 KiB. Default 30/10s.
	Posts ratelimit.Rate
	// BotPosts is each bot's budget instead of Posts
	// (RATE_LIMIT_BOT_POSTS); unset, bots have the Posts budget, each
	// their own bucket.
	BotPosts ratelimit.Rate
	// BotOverrides gives named bots (by user id) a budget of their own
	// (RATE_LIMIT_BOT_OVERRIDES="12=40/1s,15=100/10s").
	BotOverrides map[int64]ratelimit.Rate
	// SignInIP bounds sign-in attempts per client address, IPv6 per /64
	// (RATE_LIMIT_SIGNIN_IP). Default 10/3m.
	SignInIP ratelimit.Rate
	// SignInAccount bounds sign-in attempts per account: from anywhere,
	// and separately from each device that signed in to it before
	// (RATE_LIMIT_SIGNIN_ACCOUNT). Default 20/10m.
	SignInAccount ratelimit.Rate
	// Join bounds join-code attempts per client address (RATE_LIMIT_JOIN);
	// unset, they share the SignInIP budget (both guess at secrets).
	Join ratelimit.Rate
	// Actions bounds room creation, pings and profile changes per person
	// (RATE_LIMIT_ACTIONS). Default 20/1m.
	Actions ratelimit.Rate
	// SocketsPerUser bounds one account's WebSockets on an instance
	// (MAX_SOCKETS_PER_USER). Default 32.
	SocketsPerUser int
	// MessageBytes is the largest message body in bytes
	// (MAX_MESSAGE_BYTES). Default 65536.
	MessageBytes int
}

// DefaultLimits are the limits of docs/notes.md "Rate limits".
func DefaultLimits() Limits {
	return Limits{
		Posts:          ratelimit.Rate{Burst: 30, Per: 10 * time.Second},
		SignInIP:       ratelimit.Rate{Burst: 10, Per: 3 * time.Minute},
		SignInAccount:  ratelimit.Rate{Burst: 20, Per: 10 * time.Minute},
		Actions:        ratelimit.Rate{Burst: 20, Per: time.Minute},
		SocketsPerUser: 32,
		MessageBytes:   64 << 10,
	}
}

// Bounds of the size settings.
const (
	MinMessageBytes   = 1 << 10
	MaxMessageBytes   = 256 << 10 // the pages' form limit; proxies allow 512 KiB of JSON
	MaxSocketsPerUser = 10_000
	MaxBotOverrides   = 1_000
)

type rateSetting struct {
	env, flag, usage string
	dst              *ratelimit.Rate
}

func (l *Limits) rates() []rateSetting {
	return []rateSetting{
		{"RATE_LIMIT_POSTS", "rate-limit-posts", "posts per person, N/duration", &l.Posts},
		{"RATE_LIMIT_BOT_POSTS", "rate-limit-bot-posts", "posts per bot, N/duration", &l.BotPosts},
		{"RATE_LIMIT_SIGNIN_IP", "rate-limit-signin-ip", "sign-in attempts per address, N/duration", &l.SignInIP},
		{"RATE_LIMIT_SIGNIN_ACCOUNT", "rate-limit-signin-account", "sign-in attempts per account, N/duration", &l.SignInAccount},
		{"RATE_LIMIT_JOIN", "rate-limit-join", "join-code attempts per address, N/duration", &l.Join},
		{"RATE_LIMIT_ACTIONS", "rate-limit-actions", "room, ping and profile changes per person, N/duration", &l.Actions},
	}
}

func (l *Limits) fromEnv(env map[string]string) error {
	for _, s := range l.rates() {
		if v := env[s.env]; v != "" {
			r, err := ratelimit.ParseRate(v)
			if err != nil {
				return fmt.Errorf("%s: %v", s.env, err)
			}
			*s.dst = r
		}
	}
	if v := env["RATE_LIMIT_BOT_OVERRIDES"]; v != "" {
		m, err := ParseBotOverrides(v)
		if err != nil {
			return fmt.Errorf("RATE_LIMIT_BOT_OVERRIDES: %v", err)
		}
		l.BotOverrides = m
	}
	for _, n := range []struct {
		key string
		dst *int
	}{
		{"MAX_SOCKETS_PER_USER", &l.SocketsPerUser},
		{"MAX_MESSAGE_BYTES", &l.MessageBytes},
	} {
		if v := env[n.key]; v != "" {
			x, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s=%q is not a whole number", n.key, v)
			}
			*n.dst = x
		}
	}
	return nil
}

func (l *Limits) flags(fs *flag.FlagSet) {
	for _, s := range l.rates() {
		fs.Var(rateFlag{s.dst}, s.flag, s.usage)
	}
	fs.Var(overridesFlag{&l.BotOverrides}, "rate-limit-bot-overrides", "per-bot posting budgets, ID=N/duration,…")
	fs.IntVar(&l.SocketsPerUser, "max-sockets-per-user", l.SocketsPerUser, "WebSockets per account and instance")
	fs.IntVar(&l.MessageBytes, "max-message-bytes", l.MessageBytes, "largest message body in bytes")
}

func (l Limits) validate() []error {
	var errs []error
	for _, s := range l.rates() {
		if s.dst.IsZero() && (s.env == "RATE_LIMIT_BOT_POSTS" || s.env == "RATE_LIMIT_JOIN") {
			continue // unset: falls back to another budget
		}
		if err := s.dst.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", s.env, err))
		}
	}
	if len(l.BotOverrides) > MaxBotOverrides {
		errs = append(errs, fmt.Errorf("RATE_LIMIT_BOT_OVERRIDES: %d entries; at most %d", len(l.BotOverrides), MaxBotOverrides))
	}
	for _, id := range slices.Sorted(maps.Keys(l.BotOverrides)) {
		if err := l.BotOverrides[id].Validate(); err != nil || id < 1 {
			errs = append(errs, fmt.Errorf("RATE_LIMIT_BOT_OVERRIDES: bot %d: want a positive id and a valid rate (%v)", id, err))
		}
	}
	if l.SocketsPerUser < 1 || l.SocketsPerUser > MaxSocketsPerUser {
		errs = append(errs, fmt.Errorf("MAX_SOCKETS_PER_USER=%d must be 1-%d", l.SocketsPerUser, MaxSocketsPerUser))
	}
	if l.MessageBytes < MinMessageBytes || l.MessageBytes > MaxMessageBytes {
		errs = append(errs, fmt.Errorf("MAX_MESSAGE_BYTES=%d must be %d-%d", l.MessageBytes, MinMessageBytes, MaxMessageBytes))
	}
	return errs
}

// ParseBotOverrides reads "ID=N/duration,…" (spaces allowed around items).
func ParseBotOverrides(s string) (map[int64]ratelimit.Rate, error) {
	m := map[int64]ratelimit.Rate{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not BOT_ID=N/duration (e.g. 12=40/1s)", item)
		}
		id, err := strconv.ParseInt(strings.TrimSpace(k), 10, 64)
		if err != nil || id < 1 {
			return nil, fmt.Errorf("%q: %q is not a bot's user id", item, k)
		}
		if _, dup := m[id]; dup {
			return nil, fmt.Errorf("bot %d is listed twice", id)
		}
		r, err := ratelimit.ParseRate(v)
		if err != nil {
			return nil, fmt.Errorf("bot %d: %v", id, err)
		}
		if len(m) == MaxBotOverrides {
			return nil, fmt.Errorf("more than %d entries", MaxBotOverrides)
		}
		m[id] = r
	}
	if len(m) == 0 {
		return nil, errors.New("no entries (e.g. 12=40/1s)")
	}
	return m, nil
}

// rateFlag is a ratelimit.Rate as a flag.
type rateFlag struct{ r *ratelimit.Rate }

func (f rateFlag) String() string {
	if f.r == nil || f.r.IsZero() {
		return ""
	}
	return f.r.String()
}

func (f rateFlag) Set(s string) error {
	r, err := ratelimit.ParseRate(s)
	if err != nil {
		return err
	}
	*f.r = r
	return nil
}

type overridesFlag struct{ m *map[int64]ratelimit.Rate }

func (f overridesFlag) String() string {
	if f.m == nil || len(*f.m) == 0 {
		return ""
	}
	var parts []string
	for _, id := range slices.Sorted(maps.Keys(*f.m)) {
		parts = append(parts, fmt.Sprintf("%d=%s", id, (*f.m)[id]))
	}
	return strings.Join(parts, ",")
}

func (f overridesFlag) Set(s string) error {
	m, err := ParseBotOverrides(s)
	if err != nil {
		return err
	}
	*f.m = m
	return nil
}
