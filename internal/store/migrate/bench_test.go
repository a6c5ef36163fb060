package migrate_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/store/migrate"
	"github.com/campfire-go/campfire/internal/testenv"
)

// BenchmarkMigrate copies a source of 100,000 messages (each with a
// mention) into a fresh schema per iteration and reports the rates:
//
//	CAMPFIRE_TEST_POSTGRES_URL=postgres://root@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench Migrate -benchtime 3x ./internal/store/migrate/
func BenchmarkMigrate(b *testing.B) {
	const messages = 100_000
	path := filepath.Join(b.TempDir(), "campfire.db")
	start := time.Now()
	bulkSource(b, path, messages)
	b.Logf("source of %d messages built in %s", messages, time.Since(start).Round(time.Millisecond))
	var copyTime, verifyTime, msgTime time.Duration
	var rows int64
	for b.Loop() {
		b.StopTimer()
		pg := testenv.PostgresSchema(b)
		b.StartTimer()
		rep, err := migrate.Run(b.Context(), migrate.Options{From: "sqlite://" + path, To: pg})
		if err != nil {
			b.Fatal(err)
		}
		var copied time.Duration
		for _, t := range rep.Tables {
			copied += t.Elapsed
			rows += t.Copied
			if t.Name == "messages" {
				msgTime += t.Elapsed
			}
		}
		copyTime += copied
		verifyTime += rep.Elapsed - copied
	}
	n := float64(b.N)
	b.ReportMetric(messages*n/msgTime.Seconds(), "messages/s")
	b.ReportMetric(float64(rows)/copyTime.Seconds(), "rows/s")
	b.ReportMetric(copyTime.Seconds()/n, "copy-s")
	b.ReportMetric(verifyTime.Seconds()/n, "verify-s")
}
