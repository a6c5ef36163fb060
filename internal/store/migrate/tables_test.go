package migrate

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	txt, num := column{"body", text}, column{"id", integer}
	cases := []struct {
		col     column
		in      any
		want    any
		cleaned bool
		err     string
	}{
		{txt, "café", "café", false, ""},
		{txt, "a\x00b", "a\uFFFDb", true, ""},
		{txt, "bad \xff byte", "bad \uFFFD byte", true, ""},
		{txt, []byte("blob"), "blob", false, ""},
		{txt, nil, nil, false, ""},
		{num, int64(42), int64(42), false, ""},
		{num, nil, nil, false, ""},
		{num, "42", nil, false, "column id holds string, want an integer"},
		{txt, int64(1), nil, false, "column body holds int64, want text"},
		{num, 1.5, nil, false, "column id holds float64"},
	}
	for _, c := range cases {
		got, cleaned, err := normalize(c.col, c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("normalize(%s, %#v): error %v, want %q", c.col.name, c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want || cleaned != c.cleaned {
			t.Errorf("normalize(%s, %#v) = %#v, %v, %v; want %#v, %v", c.col.name, c.in, got, cleaned, err, c.want, c.cleaned)
		}
	}
}

// The canonical form tells apart what a careless concatenation would not.
func TestChecksumCanonical(t *testing.T) {
	sum := func(rows ...[]any) string {
		c := newChecksum()
		for _, r := range rows {
			if err := c.add(r); err != nil {
				t.Fatal(err)
			}
		}
		return c.sum()
	}
	distinct := [][][]any{
		{{"ab", "c"}},
		{{"a", "bc"}},
		{{nil, "c"}},
		{{"", "c"}},
		{{int64(0), "c"}},
		{{int64(1)}, {int64(2)}},
		{{int64(2)}, {int64(1)}},
		{},
	}
	seen := map[string]int{}
	for i, rows := range distinct {
		s := sum(rows...)
		if j, ok := seen[s]; ok {
			t.Errorf("case %d and %d have the same checksum", i, j)
		}
		seen[s] = i
	}
	if sum([]any{int64(7), "x", nil}) != sum([]any{int64(7), "x", nil}) {
		t.Error("the same rows gave different checksums")
	}
	if err := newChecksum().add([]any{1.5}); err == nil {
		t.Error("a float was hashed")
	}
}

// Every table both schemas hold is either copied or deliberately not.
func TestTablesCoverKeys(t *testing.T) {
	for _, tb := range tables {
		idx := tb.keyIndex()
		for i, k := range tb.key {
			if tb.cols[idx[i]].name != k || tb.cols[idx[i]].kind != integer {
				t.Errorf("%s: key %s is not an integer column", tb.name, k)
			}
		}
	}
}

// A FIFO named as the source would block the open forever, deaf to
// Ctrl-C: it is refused before anything opens it.
func TestSourceMustBeARegularFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "f.db")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- (&migration{}).openSource(context.Background(), fifo) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("openSource(FIFO) = %v, want a refusal", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("openSource blocked on a FIFO")
	}
}
