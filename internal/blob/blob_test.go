package blob_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/campfire-go/campfire/internal/blob"
	"github.com/campfire-go/campfire/internal/blob/blobtest"
)

func TestLocal(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := blob.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// A failed or canceled Put leaves no temporary file behind either.
func TestLocalNoTempLeft(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = s.Put(context.Background(), "x/y", failing{}, "text/plain")
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasPrefix(info.Name(), ".put-") {
			t.Errorf("temporary file left: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("boom") }

// TestS3 drives a Go S3 implementation (gofakes3, in memory) served over a
// real HTTP server with the real client: no S3-compatible server ships in
// Debian here.
func TestS3(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return NewTestS3(t, "")
	})
}

func TestS3Prefix(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return NewTestS3(t, "some/prefix")
	})
}

// NewTestS3 serves a fresh in-memory S3 and returns a store on its bucket.
func NewTestS3(t *testing.T, prefix string) *blob.S3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("campfire"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	raw := "s3://campfire/" + prefix + "?endpoint=http://" + u.Host + "&region=us-east-1"
	o, err := blob.ParseS3URL(raw)
	if err != nil {
		t.Fatal(err)
	}
	o.AccessKey, o.SecretKey = "test", "testsecret"
	s, err := blob.NewS3(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseS3URL(t *testing.T) {
	o, err := blob.ParseS3URL("s3://files/cf?endpoint=http://minio:9000&region=eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Bucket != "files" || o.Prefix != "cf/" || o.Endpoint != "minio:9000" || o.Secure || !o.PathStyle || o.Region != "eu-west-1" {
		t.Fatalf("parsed %+v", o)
	}
	o, err = blob.ParseS3URL("s3://files")
	if err != nil || o.Endpoint != "s3.amazonaws.com" || !o.Secure || o.PathStyle {
		t.Fatalf("AWS default: %+v, %v", o, err)
	}
	for _, bad := range []string{"http://x", "s3://", "s3://b?endpoint=", "s3://b?bogus=1", "s3://b?path_style=maybe", "s3://b/UPPER", "s3://b?endpoint=http://h/path"} {
		if _, err := blob.ParseS3URL(bad); err == nil {
			t.Errorf("ParseS3URL(%q) accepted", bad)
		}
	}
}

// A temporary file left by a process killed mid-upload is removed at the
// next start once it is stale; a recent one (a write in progress) is kept.
func TestLocalRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	if _, err := blob.NewLocal(dir); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".tmp", ".put-1")
	fresh := filepath.Join(dir, ".tmp", ".put-2")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("half an upload"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.NewLocal(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("recent temporary file removed: %v", err)
	}
}
