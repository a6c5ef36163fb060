// Package app is the composition root: it turns configuration into the
// object graph (store, broker, presence, core, hub, HTTP server), runs it,
// and shuts it down in order. It is the only package that imports concrete
// backends; everything else sees interfaces.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/campfire-go/campfire/internal/app/engine"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/importonce"
	datamigrate "github.com/campfire-go/campfire/internal/store/migrate"
	"github.com/campfire-go/campfire/internal/store/sqlite"
)

// Version is set at build time with -ldflags "-X .../internal/app.Version=v1.2.3";
// otherwise it comes from the module's build info.
var Version = ""

// version reports the build's version.
func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v = "dev-" + s.Value[:12]
			}
		}
		if v != "" && v != "(devel)" {
			return v
		}
	}
	return "dev"
}

const usage = `Usage: campfire [command] [flags]

Commands:
  serve                       run the server (the default)
  migrate                     apply database migrations and exit
  migrate-data --from sqlite://PATH --to postgres://URL [--force]
                              copy a SQLite database to PostgreSQL (resumable, verified)
  admin reset-password EMAIL  set a new random password for a person and print it
  admin create-bot NAME       create a bot and print its key
  admin unban IP              lift an IP ban (for an admin who locked themself out)
  backup PATH                 write a verified copy of the SQLite database to PATH (0600)
  restore PATH                put a backup in place of the SQLite database (server stopped;
                              the previous database is kept as DATABASE.bak-TIME)
  import-once PATH [--files DIR]
                              bring in a ONCE Campfire database (production.sqlite3) and its
                              files, into an empty database (docs/operations.md)
  version                     print the version

Configuration comes from the environment (PORT, BIND, DATABASE_URL,
STORAGE_PATH, REDIS_URL, INSTANCE_ID, SECRET_KEY_BASE, ALLOWED_ORIGINS,
TRUST_PROXY, LOG_LEVEL, LOG_FORMAT, RATE_LIMIT_*, MAX_SOCKETS_PER_USER,
MAX_MESSAGE_BYTES, METRICS_ADDR, CAPACITY_PRESET, ALERT_*, …) and flags
(-port, -bind, -database-url, -storage-path, -redis-url, -instance-id,
-metrics-addr, -capacity-preset). See docs/operations.md.
`

// Main runs the command line and returns the process exit code.
func Main(args []string, environ []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "campfire: %v\n", oneLine(err))
		return 1
	}
	switch cmd {
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "campfire", version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "migrate-data": // its own flags, not the server's configuration
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := datamigrate.Command(ctx, args, stdout, stderr); err != nil {
			return fail(err)
		}
		return 0
	case "import-once": // its --files beside the server's configuration
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := importonce.Command(ctx, args, environ, stdout, stderr); err != nil {
			return fail(err)
		}
		return 0
	}

	// Positional arguments of a subcommand come before its flags.
	var pos []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	cfg, err := config.Load(args, environ)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		return fail(fmt.Errorf("invalid configuration: %w", err))
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		if len(pos) > 0 {
			return fail(fmt.Errorf("serve takes no arguments, got %q", pos[0]))
		}
		err = Serve(ctx, cfg, log, nil)
	case "migrate":
		err = migrate(ctx, cfg)
		if err == nil {
			fmt.Fprintln(stdout, "database is up to date")
		}
	case "backup":
		if len(pos) != 1 {
			return fail(errors.New("usage: campfire backup PATH"))
		}
		err = databaseExists(cfg)
		if err == nil {
			err = backup(ctx, cfg, pos[0])
		}
		if err == nil {
			fmt.Fprintln(stdout, "backup written to", pos[0])
		}
	case "restore":
		if len(pos) != 1 {
			return fail(errors.New("usage: campfire restore PATH"))
		}
		var dbPath, previous string
		dbPath, previous, err = restore(ctx, cfg, pos[0])
		if err == nil {
			fmt.Fprintf(stdout, "restored %s to %s\n", pos[0], dbPath)
			if previous != "" {
				fmt.Fprintln(stdout, "the previous database is kept at", previous)
			}
		}
	case "admin":
		err = adminCommand(ctx, cfg, log, pos, stdout)
	default:
		fmt.Fprint(stderr, usage)
		return fail(fmt.Errorf("unknown command %q", cmd))
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

func adminCommand(ctx context.Context, cfg config.Config, log *slog.Logger, pos []string, stdout io.Writer) error {
	if len(pos) != 2 {
		return errors.New("usage: campfire admin reset-password EMAIL | create-bot NAME | unban IP")
	}
	g, err := engine.Open(ctx, cfg, log, engine.Options{})
	if err != nil {
		return err
	}
	defer g.Close()
	switch pos[0] {
	case "reset-password":
		pw, err := g.Core.ResetPassword(ctx, pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new password for %s: %s\n", pos[1], pw)
	case "create-bot":
		bot, key, err := g.Core.CreateBot(ctx, systemAdmin, pos[1], "")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "bot %q created (id %d)\nkey: %s\n", bot.Name, bot.ID, key)
	case "unban":
		if err := g.Core.UnbanIP(ctx, systemAdmin, pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s is no longer banned\n", pos[1])
	default:
		return fmt.Errorf("unknown admin command %q", pos[0])
	}
	return nil
}

// databaseExists refuses a backup of a SQLite database that is not there:
// opening it would create an empty one (a cron job started in the wrong
// directory, a mistyped DATABASE_URL) and back that up, successfully,
// every night.
func databaseExists(cfg config.Config) error {
	db, err := cfg.Database()
	if err != nil || db.Driver != "sqlite" {
		return err
	}
	if _, err := os.Stat(db.Path); err != nil {
		return fmt.Errorf("no database to back up: %v (run backup with the server's DATABASE_URL, from its working directory)", err)
	}
	return nil
}

// restore puts the SQLite backup src in place of the configured database,
// holding the serving lock so no server can be using it meanwhile.
func restore(ctx context.Context, cfg config.Config, src string) (dbPath, previous string, err error) {
	db, err := cfg.Database()
	if err != nil {
		return "", "", err
	}
	if db.Driver != "sqlite" {
		return "", "", errors.New("restore works for SQLite only; restore PostgreSQL with pg_restore (docs/operations.md)")
	}
	if a, err := os.Stat(src); err == nil {
		if b, err := os.Stat(db.Path); err == nil && os.SameFile(a, b) {
			return "", "", fmt.Errorf("%s is the database itself, not a backup of it", src)
		}
	}
	unlock, err := engine.LockServing(cfg)
	if err != nil {
		return "", "", fmt.Errorf("restore needs the server stopped: %v", err)
	}
	defer unlock()
	previous, err = sqlite.Restore(ctx, src, db.Path)
	return db.Path, previous, err
}

// oneLine keeps an error to the one line the contract promises.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h).With("instance", cfg.InstanceID)
}
