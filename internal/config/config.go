// Package config is Campfire's typed configuration: defaults, loading from
// the environment and flags (flags win), and validation at start. The struct
// is passed by value; nothing here is global.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything an operator can set.
type Config struct {
	// Port to listen on (PORT, -port). Default 3000.
	Port int
	// Bind is the address to listen on (BIND, -bind); empty means all
	// interfaces.
	Bind string
	// DatabaseURL selects the store (DATABASE_URL, -database-url):
	// sqlite:///abs/path.db, sqlite://relative/path.db or postgres://….
	DatabaseURL string
	// StoragePath holds attachments and avatars (STORAGE_PATH).
	StoragePath string
	// RedisURL turns on multi-instance mode (REDIS_URL): redis://,
	// rediss://, or a Sentinel/Cluster form go-redis's universal client
	// understands (redis://host1,host2/0?master_name=…).
	RedisURL string
	// RedisPrefix starts every Redis key and channel (REDIS_PREFIX), so
	// several deployments can share one Redis. Default "campfire:".
	RedisPrefix string
	// SessionIdleTTL signs a session out after this long without a request
	// (SESSION_IDLE_TTL); 0 means never, as Campfire keeps people signed in.
	// Unset, it is never on a single instance and 24h with Redis (see
	// SessionIdle).
	SessionIdleTTL time.Duration
	sessionIdleSet bool
	// DB pool settings for PostgreSQL (DATABASE_MAX_CONNS,
	// DATABASE_MIN_CONNS, DATABASE_ACQUIRE_TIMEOUT, DATABASE_IDLE_TIMEOUT,
	// DATABASE_MAX_LIFETIME). Zero means the guide's defaults: 20, 5, 30s,
	// 10m, 30m.
	DBMaxConns, DBMinConns                         int
	DBAcquireTimeout, DBIdleTimeout, DBMaxLifetime time.Duration
	// InstanceID names this instance in logs, metrics and /health
	// (INSTANCE_ID). Default: host name plus a random suffix.
	InstanceID string
	// SecretKeyBase signs what must be signed (SECRET_KEY_BASE). Generated
	// and persisted under StoragePath on first run when absent (single
	// instance only).
	SecretKeyBase string
	// AllowedOrigins lists extra origins (scheme://host[:port]) whose
	// browsers may open the cable and make cookie-authenticated writes
	// (ALLOWED_ORIGINS, comma separated). The server's own host is always
	// allowed.
	AllowedOrigins []string
	// TrustProxy makes the server take the client IP from X-Forwarded-For
	// and the scheme from X-Forwarded-Proto (TRUST_PROXY=1). Turn it on only
	// behind a proxy that sets them.
	TrustProxy bool
	// LogLevel is debug, info, warn or error (LOG_LEVEL).
	LogLevel string
	// LogFormat is text or json (LOG_FORMAT).
	LogFormat string
	// ShutdownTimeout bounds graceful shutdown (SHUTDOWN_TIMEOUT). The
	// contract promises exit within 10 s.
	ShutdownTimeout time.Duration
	// BcryptCost is the password hashing cost (BCRYPT_COST); tests lower it.
	BcryptCost int
	// Monitor is metrics and capacity thresholds (monitor.go).
	Monitor Monitor
	// Files is blob storage and upload limits (files.go).
	Files Files
	// Previews turns link previews off (previews.go).
	Previews Previews
	// Limits are the rate limits, sockets per account and message size
	// (limits.go).
	Limits Limits
}

// Default returns the defaults of the contract's "Running" table.
func Default() Config {
	return Config{
		Port:            3000,
		DatabaseURL:     "sqlite://storage/campfire.db",
		StoragePath:     "storage",
		LogLevel:        "info",
		LogFormat:       "text",
		RedisPrefix:     "campfire:",
		ShutdownTimeout: 9 * time.Second,
		BcryptCost:      12,
		Limits:          DefaultLimits(),
	}
}

// Load reads the environment (as from os.Environ) and then the flags in
// args, validates, and fills derived defaults.
func Load(args []string, environ []string) (Config, error) {
	c := Default()
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	if err := c.fromEnv(env); err != nil {
		return c, err
	}
	if err := c.Monitor.fromEnv(env); err != nil {
		return c, err
	}
	if err := c.Files.fromEnv(env); err != nil {
		return c, err
	}
	if err := c.Previews.fromEnv(env); err != nil {
		return c, err
	}
	if err := c.Limits.fromEnv(env); err != nil {
		return c, err
	}
	fs := flag.NewFlagSet("campfire", flag.ContinueOnError)
	c.Monitor.flags(fs)
	c.Files.flags(fs)
	c.Previews.flags(fs)
	c.Limits.flags(fs)
	fs.SetOutput(io.Discard)
	fs.IntVar(&c.Port, "port", c.Port, "port to listen on")
	fs.StringVar(&c.Bind, "bind", c.Bind, "address to listen on")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "database URL")
	fs.StringVar(&c.StoragePath, "storage-path", c.StoragePath, "directory for files")
	fs.StringVar(&c.RedisURL, "redis-url", c.RedisURL, "Redis URL (multi-instance)")
	fs.StringVar(&c.InstanceID, "instance-id", c.InstanceID, "instance name")
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("flags: %w", err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.InstanceID == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "campfire"
		}
		c.InstanceID = host + "-" + randomHex(3)
	}
	return c, c.Validate()
}

func (c *Config) fromEnv(env map[string]string) error {
	str := func(key string, dst *string) {
		if v, ok := env[key]; ok && v != "" {
			*dst = v
		}
	}
	str("BIND", &c.Bind)
	str("DATABASE_URL", &c.DatabaseURL)
	str("STORAGE_PATH", &c.StoragePath)
	str("REDIS_URL", &c.RedisURL)
	str("REDIS_PREFIX", &c.RedisPrefix)
	str("INSTANCE_ID", &c.InstanceID)
	str("SECRET_KEY_BASE", &c.SecretKeyBase)
	str("LOG_LEVEL", &c.LogLevel)
	str("LOG_FORMAT", &c.LogFormat)
	if v := env["PORT"]; v != "" {
		p, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("PORT=%q is not a number", v)
		}
		c.Port = p
	}
	if v := env["ALLOWED_ORIGINS"]; v != "" {
		for o := range strings.SplitSeq(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.AllowedOrigins = append(c.AllowedOrigins, o)
			}
		}
	}
	if v := env["TRUST_PROXY"]; v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("TRUST_PROXY=%q is not a boolean (use 1 or 0)", v)
		}
		c.TrustProxy = b
	}
	if v := env["SHUTDOWN_TIMEOUT"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("SHUTDOWN_TIMEOUT=%q is not a duration (e.g. 9s)", v)
		}
		c.ShutdownTimeout = d
	}
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{
		{"DATABASE_ACQUIRE_TIMEOUT", &c.DBAcquireTimeout},
		{"DATABASE_IDLE_TIMEOUT", &c.DBIdleTimeout},
		{"DATABASE_MAX_LIFETIME", &c.DBMaxLifetime},
	} {
		if v := env[d.key]; v != "" {
			x, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s=%q is not a duration (e.g. 24h, 30s)", d.key, v)
			}
			*d.dst = x
		}
	}
	if v := env["SESSION_IDLE_TTL"]; v != "" {
		x, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("SESSION_IDLE_TTL=%q is not a duration (e.g. 24h, or 0 for never)", v)
		}
		c.SessionIdleTTL, c.sessionIdleSet = x, true
	}
	for _, n := range []struct {
		key string
		dst *int
	}{
		{"DATABASE_MAX_CONNS", &c.DBMaxConns},
		{"DATABASE_MIN_CONNS", &c.DBMinConns},
	} {
		if v := env[n.key]; v != "" {
			x, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s=%q is not a number", n.key, v)
			}
			*n.dst = x
		}
	}
	if v := env["BCRYPT_COST"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("BCRYPT_COST=%q is not a number", v)
		}
		c.BcryptCost = n
	}
	return nil
}

// SessionIdle is the idle timeout in force and whether one applies at all:
// SESSION_IDLE_TTL when set (0: none), otherwise none on a single instance
// and 24h with Redis.
func (c Config) SessionIdle() (ttl time.Duration, expires bool) {
	switch {
	case c.sessionIdleSet || c.SessionIdleTTL > 0:
		return c.SessionIdleTTL, c.SessionIdleTTL > 0
	case c.RedisURL != "":
		return DefaultRedisSessionIdle, true
	}
	return 0, false
}

// DefaultRedisSessionIdle is the idle timeout of sessions with Redis when
// SESSION_IDLE_TTL is not set.
const DefaultRedisSessionIdle = 24 * time.Hour

// Database is a parsed DATABASE_URL.
type Database struct {
	Driver string // "sqlite" or "postgres"
	Path   string // SQLite file path
	URL    string // the full URL (for postgres)
}

// Database parses DatabaseURL.
func (c Config) Database() (Database, error) {
	u := c.DatabaseURL
	switch {
	case strings.HasPrefix(u, "sqlite://"):
		p := strings.TrimPrefix(u, "sqlite://")
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		if p == "" || p == "/" {
			return Database{}, fmt.Errorf("DATABASE_URL=%q names no file (e.g. sqlite://storage/campfire.db)", u)
		}
		return Database{Driver: "sqlite", Path: filepath.Clean(p), URL: u}, nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		if _, err := url.Parse(u); err != nil {
			// url.Error repeats the whole URL, password included: say only
			// what is wrong with it.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return Database{}, fmt.Errorf("DATABASE_URL is not a valid postgres URL: %v", err)
		}
		return Database{Driver: "postgres", URL: u}, nil
	}
	scheme, _, _ := strings.Cut(u, ":")
	return Database{}, fmt.Errorf("DATABASE_URL scheme %q is not supported: use sqlite:// or postgres://", scheme)
}

// Addr is the listen address.
func (c Config) Addr() string { return net.JoinHostPort(c.Bind, strconv.Itoa(c.Port)) }

// Validate checks every field and says what to fix.
func (c Config) Validate() error {
	errs := append(c.Monitor.validate(), c.Files.validate()...)
	if _, port, err := net.SplitHostPort(c.Monitor.MetricsAddr); err == nil && port == strconv.Itoa(c.Port) && c.Port != 0 {
		errs = append(errs, fmt.Errorf("METRICS_ADDR=%q uses PORT %d: give metrics a port of their own", c.Monitor.MetricsAddr, c.Port))
	}
	errs = append(errs, c.Limits.validate()...)
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("PORT=%d is out of range 0-65535", c.Port))
	}
	if c.Bind != "" && net.ParseIP(c.Bind) == nil && c.Bind != "localhost" {
		errs = append(errs, fmt.Errorf("BIND=%q is not an IP address", c.Bind))
	}
	db, err := c.Database()
	if err != nil {
		errs = append(errs, err)
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			errs = append(errs, errors.New("REDIS_URL is not a redis://, rediss:// or unix:// URL"))
		}
		if db.Driver == "sqlite" {
			errs = append(errs, errors.New("REDIS_URL is set but DATABASE_URL is SQLite: several instances need a shared postgres:// database"))
		}
		if c.SecretKeyBase == "" {
			errs = append(errs, errors.New("SECRET_KEY_BASE is required when REDIS_URL is set (every instance must share it)"))
		}
	}
	if c.RedisURL != "" && (c.RedisPrefix == "" || len(c.RedisPrefix) > 64) {
		errs = append(errs, fmt.Errorf("REDIS_PREFIX=%q must be 1-64 characters", c.RedisPrefix))
	}
	// Activity is recorded once a minute, so a shorter idle time could
	// sign out someone in the middle of using it.
	if c.SessionIdleTTL < 0 || (c.SessionIdleTTL > 0 && c.SessionIdleTTL < 5*time.Minute) {
		errs = append(errs, fmt.Errorf("SESSION_IDLE_TTL=%s must be 0 (never) or at least 5m", c.SessionIdleTTL))
	}
	if c.DBMaxConns > 1000 || c.DBMinConns > 1000 {
		errs = append(errs, fmt.Errorf("DATABASE_MAX_CONNS=%d and DATABASE_MIN_CONNS=%d must be at most 1000 (per instance)", c.DBMaxConns, c.DBMinConns))
	}
	if c.DBMaxConns < 0 || c.DBMinConns < 0 || (c.DBMaxConns > 0 && c.DBMinConns > c.DBMaxConns) {
		errs = append(errs, fmt.Errorf("DATABASE_MIN_CONNS=%d and DATABASE_MAX_CONNS=%d: both >= 0 and min <= max", c.DBMinConns, c.DBMaxConns))
	}
	if c.DBAcquireTimeout < 0 || c.DBIdleTimeout < 0 || c.DBMaxLifetime < 0 {
		errs = append(errs, errors.New("DATABASE_ACQUIRE_TIMEOUT, DATABASE_IDLE_TIMEOUT and DATABASE_MAX_LIFETIME must not be negative"))
	}
	if c.SecretKeyBase != "" && len(c.SecretKeyBase) < 32 {
		errs = append(errs, errors.New("SECRET_KEY_BASE must be at least 32 characters"))
	}
	for _, o := range c.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			errs = append(errs, fmt.Errorf("ALLOWED_ORIGINS entry %q is not an origin like https://chat.example.com", o))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: use debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("LOG_FORMAT=%q: use text or json", c.LogFormat))
	}
	if c.ShutdownTimeout <= 0 || c.ShutdownTimeout > 10*time.Minute {
		errs = append(errs, fmt.Errorf("SHUTDOWN_TIMEOUT=%s must be between 0 and 10m", c.ShutdownTimeout))
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		errs = append(errs, fmt.Errorf("BCRYPT_COST=%d must be between 4 and 31", c.BcryptCost))
	}
	return errors.Join(errs...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// LoadOrCreateSecret returns SecretKeyBase, or reads it from (creating if
// needed) a file under StoragePath so a single instance keeps the same
// secret across restarts.
func (c Config) LoadOrCreateSecret() (string, error) {
	if c.SecretKeyBase != "" {
		return c.SecretKeyBase, nil
	}
	path := filepath.Join(c.StoragePath, "secret_key_base")
	if b, err := os.ReadFile(path); err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) >= 32 {
			return s, nil
		}
		return "", fmt.Errorf("%s holds a secret shorter than 32 characters: delete it to generate a new one", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	if err := os.MkdirAll(c.StoragePath, 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", c.StoragePath, err)
	}
	s := randomHex(32)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return s, nil
}
