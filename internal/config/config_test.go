package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadDefaults(t *testing.T) {
	c, err := Load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 3000 || c.Addr() != ":3000" {
		t.Errorf("port %d addr %q, want 3000 and :3000", c.Port, c.Addr())
	}
	db, err := c.Database()
	if err != nil || db.Driver != "sqlite" || db.Path != filepath.Join("storage", "campfire.db") {
		t.Errorf("database = %+v, %v", db, err)
	}
	if c.InstanceID == "" {
		t.Error("instance id not generated")
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	c, err := Load([]string{"-port", "4000"}, []string{"PORT=5000", "BIND=127.0.0.1", "DATABASE_URL=sqlite:///tmp/x.db"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 4000 || c.Bind != "127.0.0.1" {
		t.Errorf("got port %d bind %q", c.Port, c.Bind)
	}
	if db, _ := c.Database(); db.Path != "/tmp/x.db" {
		t.Errorf("absolute sqlite path = %q", db.Path)
	}
}

func TestInvalidConfig(t *testing.T) {
	secret := "SECRET_KEY_BASE=" + strings.Repeat("x", 40)
	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"port not a number", nil, []string{"PORT=abc"}, "PORT"},
		{"port out of range", nil, []string{"PORT=70000"}, "PORT"},
		{"unknown scheme", nil, []string{"DATABASE_URL=mysql://x"}, `scheme "mysql"`},
		{"sqlite without file", nil, []string{"DATABASE_URL=sqlite://"}, "names no file"},
		{"redis with sqlite", nil, []string{"REDIS_URL=redis://localhost:6379/0", secret}, "SQLite"},
		{"redis without secret", nil, []string{"REDIS_URL=redis://localhost:6379/0", "DATABASE_URL=postgres://localhost/db"}, "SECRET_KEY_BASE is required"},
		{"bad redis url", nil, []string{"REDIS_URL=http://x", "DATABASE_URL=postgres://localhost/db", secret}, "redis://"},
		{"short secret", nil, []string{"SECRET_KEY_BASE=short"}, "32 characters"},
		{"bad origin", nil, []string{"ALLOWED_ORIGINS=chat.example.com"}, "ALLOWED_ORIGINS"},
		{"bad bind", nil, []string{"BIND=not-an-ip"}, "BIND"},
		{"bad log level", nil, []string{"LOG_LEVEL=loud"}, "LOG_LEVEL"},
		{"bad bool", nil, []string{"TRUST_PROXY=maybe"}, "TRUST_PROXY"},
		{"unknown flag", []string{"-nope"}, nil, "flags"},
		{"stray argument", []string{"extra"}, nil, "unexpected argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestSecretPersists(t *testing.T) {
	c := Default()
	c.StoragePath = t.TempDir()
	s1, err := c.LoadOrCreateSecret()
	if err != nil {
		t.Fatal(err)
	}
	s2, err := c.LoadOrCreateSecret()
	if err != nil || s1 != s2 || len(s1) < 32 {
		t.Fatalf("secret changed or short: %q %q %v", s1, s2, err)
	}
	info, err := os.Stat(filepath.Join(c.StoragePath, "secret_key_base"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode = %v, %v", info.Mode(), err)
	}
	c.SecretKeyBase = strings.Repeat("k", 32)
	if s, _ := c.LoadOrCreateSecret(); s != c.SecretKeyBase {
		t.Error("explicit SECRET_KEY_BASE not preferred")
	}
}

// SESSION_IDLE_TTL=0 means never, with Redis too; unset, Redis mode
// defaults to a day and a single instance to never.
func TestSessionIdle(t *testing.T) {
	redis := []string{"REDIS_URL=redis://127.0.0.1:6379/0", "DATABASE_URL=postgres://x@127.0.0.1/db", "SECRET_KEY_BASE=" + strings.Repeat("s", 32)}
	for _, c := range []struct {
		env     []string
		ttl     time.Duration
		expires bool
	}{
		{nil, 0, false},
		{[]string{"SESSION_IDLE_TTL=2h"}, 2 * time.Hour, true},
		{redis, 24 * time.Hour, true},
		{append([]string{"SESSION_IDLE_TTL=0"}, redis...), 0, false},
		{append([]string{"SESSION_IDLE_TTL=90m"}, redis...), 90 * time.Minute, true},
	} {
		cfg, err := Load(nil, c.env)
		if err != nil {
			t.Fatalf("%v: %v", c.env, err)
		}
		if ttl, expires := cfg.SessionIdle(); ttl != c.ttl || expires != c.expires {
			t.Errorf("%v: SessionIdle() = %v, %v; want %v, %v", c.env, ttl, expires, c.ttl, c.expires)
		}
	}
}

// A DATABASE_URL that does not parse is named without its password.
func TestDatabaseURLErrorHidesPassword(t *testing.T) {
	_, err := Load(nil, []string{"DATABASE_URL=postgres://root:S3CRETPW@127.0.0.1:bad/x"})
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") || strings.Contains(err.Error(), "S3CRETPW") {
		t.Fatalf("error %v: want DATABASE_URL named, the password not", err)
	}
	_, err = Load(nil, []string{"DATABASE_URL=postgres://x@127.0.0.1/db", "DATABASE_MAX_CONNS=4294967297"})
	if err == nil || !strings.Contains(err.Error(), "DATABASE_MAX_CONNS") {
		t.Fatalf("an absurd pool size: %v", err)
	}
}

// The limits' defaults are today's (docs/notes.md "Rate limits"), and each
// is set by its variable or its flag, the flag winning.
func TestLimits(t *testing.T) {
	c, err := Load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := c.Limits
	if l.Posts.String() != "30/10s" || l.SignInIP.String() != "10/3m" || l.SignInAccount.String() != "20/10m" ||
		l.Actions.String() != "20/1m" || !l.Join.IsZero() || !l.BotPosts.IsZero() || l.BotOverrides != nil ||
		l.SocketsPerUser != 32 || l.MessageBytes != 65536 {
		t.Fatalf("defaults = %+v", l)
	}
	c, err = Load([]string{"-rate-limit-posts", "60/10s", "-max-sockets-per-user", "8"}, []string{
		"RATE_LIMIT_POSTS=5/1s", "RATE_LIMIT_BOT_POSTS=100/10s", "RATE_LIMIT_BOT_OVERRIDES= 12=40/1s, 15=1000/1m ",
		"RATE_LIMIT_SIGNIN_IP=5/1m", "RATE_LIMIT_SIGNIN_ACCOUNT=50/1h", "RATE_LIMIT_JOIN=3/1m", "RATE_LIMIT_ACTIONS=100/1m",
		"MAX_SOCKETS_PER_USER=4", "MAX_MESSAGE_BYTES=131072",
	})
	if err != nil {
		t.Fatal(err)
	}
	l = c.Limits
	if l.Posts.String() != "60/10s" || l.BotPosts.String() != "100/10s" || l.SignInIP.String() != "5/1m" ||
		l.SignInAccount.String() != "50/1h" || l.Join.String() != "3/1m" || l.Actions.String() != "100/1m" ||
		l.SocketsPerUser != 8 || l.MessageBytes != 131072 {
		t.Fatalf("set = %+v", l)
	}
	if len(l.BotOverrides) != 2 || l.BotOverrides[12].String() != "40/1s" || l.BotOverrides[15].String() != "1000/1m" {
		t.Fatalf("overrides = %v", l.BotOverrides)
	}
	if got := l.BotOverrides[12].PerSecond(); got != 40 {
		t.Errorf("40/1s is %v per second", got)
	}
}

// A bad limit stops the start with one line naming the variable (or flag).
func TestLimitsInvalid(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want string
	}{
		{nil, "RATE_LIMIT_POSTS=30", "RATE_LIMIT_POSTS"},
		{nil, "RATE_LIMIT_POSTS=abc/10s", "RATE_LIMIT_POSTS"},
		{nil, "RATE_LIMIT_POSTS=30/ten", "RATE_LIMIT_POSTS"},
		{nil, "RATE_LIMIT_POSTS=0/10s", "RATE_LIMIT_POSTS"},
		{nil, "RATE_LIMIT_POSTS=30/1ms", "RATE_LIMIT_POSTS"},
		{nil, "RATE_LIMIT_POSTS=30/-10s", "RATE_LIMIT_POSTS"},
		{nil, "RATE_LIMIT_POSTS=5000000/1s", "RATE_LIMIT_POSTS"},
		{nil, "RATE_LIMIT_BOT_POSTS=x", "RATE_LIMIT_BOT_POSTS"},
		{nil, "RATE_LIMIT_SIGNIN_IP=10/100h", "RATE_LIMIT_SIGNIN_IP"},
		{nil, "RATE_LIMIT_SIGNIN_ACCOUNT=-1/1m", "RATE_LIMIT_SIGNIN_ACCOUNT"},
		{nil, "RATE_LIMIT_JOIN=1/0s", "RATE_LIMIT_JOIN"},
		{nil, "RATE_LIMIT_ACTIONS=/", "RATE_LIMIT_ACTIONS"},
		{nil, "RATE_LIMIT_BOT_OVERRIDES=12", "RATE_LIMIT_BOT_OVERRIDES"},
		{nil, "RATE_LIMIT_BOT_OVERRIDES=abc=40/1s", "RATE_LIMIT_BOT_OVERRIDES"},
		{nil, "RATE_LIMIT_BOT_OVERRIDES=0=40/1s", "RATE_LIMIT_BOT_OVERRIDES"},
		{nil, "RATE_LIMIT_BOT_OVERRIDES=12=40/1s,12=50/1s", "listed twice"},
		{nil, "RATE_LIMIT_BOT_OVERRIDES=12=40", "RATE_LIMIT_BOT_OVERRIDES"},
		{nil, "RATE_LIMIT_BOT_OVERRIDES=,", "RATE_LIMIT_BOT_OVERRIDES"},
		{nil, "MAX_SOCKETS_PER_USER=many", "MAX_SOCKETS_PER_USER"},
		{nil, "MAX_SOCKETS_PER_USER=0", "MAX_SOCKETS_PER_USER"},
		{nil, "MAX_MESSAGE_BYTES=10", "MAX_MESSAGE_BYTES"},
		{nil, "MAX_MESSAGE_BYTES=100000000", "MAX_MESSAGE_BYTES"},
		{[]string{"-rate-limit-posts", "fast"}, "", "rate-limit-posts"},
		{[]string{"-rate-limit-bot-overrides", "1=x"}, "", "rate-limit-bot-overrides"},
		{[]string{"-max-message-bytes", "1"}, "", "MAX_MESSAGE_BYTES"},
	} {
		_, err := Load(tc.args, []string{tc.env})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %s: err = %v, want it to name %s", tc.args, tc.env, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v %s: error spans lines: %q", tc.args, tc.env, err)
		}
	}
}
