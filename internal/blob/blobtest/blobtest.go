// Package blobtest is the contract suite every blob.Store passes: run it
// from each backend's tests with a factory for a fresh, empty store.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/campfire-go/campfire/internal/blob"
)

// Run runs the contract against stores made by open.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	ctx := context.Background()
	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		n, err := s.Put(ctx, "a/b/hello.txt", bytes.NewReader([]byte("hello, world")), "text/plain")
		if err != nil || n != 12 {
			t.Fatalf("Put = %d, %v", n, err)
		}
		o, err := s.Open(ctx, "a/b/hello.txt")
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		if o.Size() != 12 || o.ContentType() != "text/plain" || o.ModTime().IsZero() {
			t.Fatalf("object: size %d, type %q, mod %v", o.Size(), o.ContentType(), o.ModTime())
		}
		b, err := io.ReadAll(o)
		if err != nil || string(b) != "hello, world" {
			t.Fatalf("read %q, %v", b, err)
		}
	})
	t.Run("Range", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "r", []byte("0123456789"))
		o, err := s.Open(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		if pos, err := o.Seek(4, io.SeekStart); err != nil || pos != 4 {
			t.Fatalf("Seek = %d, %v", pos, err)
		}
		b := make([]byte, 3)
		if _, err := io.ReadFull(o, b); err != nil || string(b) != "456" {
			t.Fatalf("read %q, %v", b, err)
		}
		if end, err := o.Seek(0, io.SeekEnd); err != nil || end != 10 {
			t.Fatalf("Seek end = %d, %v", end, err)
		}
		if _, err := o.Seek(-2, io.SeekEnd); err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(o); string(b) != "89" {
			t.Fatalf("tail %q", b)
		}
	})
	t.Run("Replace", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "k", []byte("first version"))
		mustPut(t, s, "k", []byte("second"))
		if got := mustRead(t, s, "k"); string(got) != "second" {
			t.Fatalf("read %q", got)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "empty", nil)
		if got := mustRead(t, s, "empty"); len(got) != 0 {
			t.Fatalf("read %q", got)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		if _, err := s.Open(ctx, "missing/key"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Open missing = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "missing/key"); err != nil {
			t.Fatalf("Delete missing = %v", err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "d/x", []byte("x"))
		if err := s.Delete(ctx, "d/x"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, "d/x"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Open deleted = %v, want ErrNotFound", err)
		}
	})
	t.Run("LargeStreamed", func(t *testing.T) {
		// Larger than an S3 part, generated on the fly: Put must stream.
		s := open(t)
		const size = 13<<20 + 12345
		src := io.LimitReader(rand.NewChaCha8([32]byte{1}), size)
		h := sha256.New()
		n, err := s.Put(ctx, "big/file.bin", io.TeeReader(src, h), "application/octet-stream")
		if err != nil || n != size {
			t.Fatalf("Put = %d, %v", n, err)
		}
		o, err := s.Open(ctx, "big/file.bin")
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		h2 := sha256.New()
		if m, err := io.Copy(h2, o); err != nil || m != size {
			t.Fatalf("read %d, %v", m, err)
		}
		if !bytes.Equal(h.Sum(nil), h2.Sum(nil)) {
			t.Fatal("content differs")
		}
	})
	t.Run("FailedPutLeavesNothing", func(t *testing.T) {
		s := open(t)
		for _, size := range []int64{1000, 12 << 20} {
			r := io.MultiReader(io.LimitReader(rand.NewChaCha8([32]byte{2}), size), errReader{})
			if _, err := s.Put(ctx, "failed", r, "text/plain"); err == nil {
				t.Fatalf("Put of a failing reader (%d bytes) succeeded", size)
			}
			if _, err := s.Open(ctx, "failed"); !errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("after a failed Put (%d bytes), Open = %v, want ErrNotFound", size, err)
			}
		}
	})
	t.Run("CanceledPut", func(t *testing.T) {
		s := open(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(cctx, "canceled", bytes.NewReader([]byte("x")), "text/plain"); err == nil {
			t.Fatal("Put with a canceled context succeeded")
		}
		if _, err := s.Open(ctx, "canceled"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("after a canceled Put, Open = %v", err)
		}
	})
	t.Run("InvalidKeys", func(t *testing.T) {
		s := open(t)
		for _, k := range []string{"", "../x", "/abs", "a//b", "A", ".meta/x", "a/../b", "a b", "a/", "é"} {
			if _, err := s.Put(ctx, k, bytes.NewReader(nil), ""); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Put(%q) = %v, want ErrInvalidKey", k, err)
			}
			if _, err := s.Open(ctx, k); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Open(%q) = %v, want ErrInvalidKey", k, err)
			}
			if err := s.Delete(ctx, k); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Delete(%q) = %v, want ErrInvalidKey", k, err)
			}
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("client went away") }

func mustPut(t *testing.T, s blob.Store, key string, b []byte) {
	t.Helper()
	if n, err := s.Put(context.Background(), key, bytes.NewReader(b), "application/octet-stream"); err != nil || n != int64(len(b)) {
		t.Fatalf("Put(%q) = %d, %v", key, n, err)
	}
}

func mustRead(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	o, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
