package migrate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Usage is the command's help.
const Usage = `Usage: campfire migrate-data --from sqlite://PATH --to postgres://URL [flags]

Copies a Campfire database from SQLite to PostgreSQL: every row with its id,
the rooms' seq counters, and the search index (rebuilt on PostgreSQL). The
target's schema is created if needed; a target holding data is refused
unless --force. An interrupted run resumes when run again. Stop the server
that writes to the SQLite file first.

Flags:
`

// Command runs `campfire migrate-data ARGS`: progress goes to stderr, the
// verification's table to stdout. An error is for the caller to print.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate-data", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, Usage)
		fs.PrintDefaults()
	}
	var opts Options
	fs.StringVar(&opts.From, "from", "", "the source database, `sqlite://PATH`")
	fs.StringVar(&opts.To, "to", "", "the target database, `postgres://…`")
	fs.BoolVar(&opts.Force, "force", false, "empty a non-empty target (or an unfinished migration's) and copy from scratch")
	fs.BoolVar(&opts.VerifyOnly, "verify-only", false, "copy nothing; compare row counts and checksums only")
	fs.IntVar(&opts.BatchSize, "batch-size", DefaultBatchSize, "rows per COPY and commit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("migrate-data: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate-data: unexpected argument %q", fs.Arg(0))
	}
	if opts.From == "" || opts.To == "" {
		fs.Usage()
		return errors.New("migrate-data: --from and --to are required")
	}
	if opts.BatchSize <= 0 {
		return errors.New("migrate-data: --batch-size must be positive")
	}
	opts.Progress = stderr
	if !opts.VerifyOnly {
		fmt.Fprintf(stderr, "copying %s to %s\n", opts.From, Redact(opts.To))
	}
	rep, err := Run(ctx, opts)
	if len(rep.Tables) > 0 && (err == nil || errors.Is(err, ErrMismatch)) {
		printReport(stdout, rep)
	}
	if err != nil {
		return fmt.Errorf("migrate-data: %w", err)
	}
	if opts.VerifyOnly {
		fmt.Fprintln(stdout, "verified: every table has the same rows on both sides")
		return nil
	}
	var total int64
	for _, t := range rep.Tables {
		total += t.Copied
	}
	fmt.Fprintf(stdout, "migrated %s to %s: %d rows copied in %s, verified\n",
		rep.Source, Redact(opts.To), total, rep.Elapsed.Round(1e6))
	if rep.Cleaned > 0 {
		fmt.Fprintf(stdout, "note: %d text values held NUL or invalid UTF-8, which PostgreSQL cannot store; they were copied with U+FFFD in their place\n", rep.Cleaned)
	}
	return nil
}

func printReport(w io.Writer, rep Report) {
	fmt.Fprintf(w, "%-12s %12s %12s  %-16s\n", "table", "source rows", "target rows", "checksum")
	for _, t := range rep.Tables {
		state := "ok"
		if !t.OK() {
			state = "MISMATCH"
		}
		fmt.Fprintf(w, "%-12s %12d %12d  %.16s  %s\n", t.Name, t.SourceRows, t.TargetRows, t.TargetSum, state)
	}
}
