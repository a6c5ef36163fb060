package ring

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"testing"
)

func nodes(names ...string) []Node {
	ns := make([]Node, len(names))
	for i, n := range names {
		ns[i] = Node{Name: n, Weight: 1}
	}
	return ns
}

func mustNew(t testing.TB, ns []Node) *Ring {
	t.Helper()
	r, err := New(ns)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const numKeys = 100_000

func key(i int) string { return "user:" + strconv.Itoa(i) }

// owners maps numKeys keys to node names.
func owners(r *Ring) []string {
	out := make([]string, numKeys)
	for i := range out {
		out[i] = r.Lookup(key(i)).Name
	}
	return out
}

// TestHashIsFNV1aMixed pins Hash to its definition, so a faster rewrite
// cannot change it unnoticed.
func TestHashIsFNV1aMixed(t *testing.T) {
	for _, k := range []string{"", "a", "user:1", "127.0.0.1:3000#159", "ünïcode"} {
		f := fnv.New64a()
		f.Write([]byte(k))
		if got, want := Hash(k), mix(f.Sum64()); got != want {
			t.Errorf("Hash(%q) = %#x, want %#x", k, got, want)
		}
		if Hash(k) != hashBytes([]byte(k)) {
			t.Errorf("Hash and hashBytes differ on %q", k)
		}
	}
}

// TestGolden pins the mapping: every process and every version must send
// a key to the same node. If this fails, the hash or the point layout
// changed, and every deployed ring would remap its keys.
func TestGolden(t *testing.T) {
	hashes := map[string]uint64{
		// Checked against an independent implementation (Python).
		"":       0x5815e38752afb0e5,
		"user:1": 0x0a5124fd3377a345,
		"alice":  0x89ea464438e4171d,
	}
	for k, want := range hashes {
		if got := Hash(k); got != want {
			t.Errorf("Hash(%q) = %#x, want %#x", k, got, want)
		}
	}
	r := mustNew(t, []Node{{"127.0.0.1:3000", 1}, {"127.0.0.1:3001", 1}, {"127.0.0.1:3002", 2}})
	lookups := map[string]string{
		"user:0": "127.0.0.1:3002", "user:1": "127.0.0.1:3002", "user:2": "127.0.0.1:3002",
		"user:3": "127.0.0.1:3001", "user:4": "127.0.0.1:3001", "user:5": "127.0.0.1:3001",
		"user:6": "127.0.0.1:3002", "user:7": "127.0.0.1:3001", "user:8": "127.0.0.1:3000",
		"user:9": "127.0.0.1:3001", "user:10": "127.0.0.1:3000", "user:11": "127.0.0.1:3001",
	}
	for k, want := range lookups {
		if got := r.Lookup(k).Name; got != want {
			t.Errorf("Lookup(%q) = %s, want %s", k, got, want)
		}
	}
}

// TestStable: rebuilding the ring, in any node order, maps every key the
// same way.
func TestStable(t *testing.T) {
	ns := []Node{{"a", 1}, {"b", 3}, {"c", 2}, {"d", 1}}
	want := owners(mustNew(t, ns))
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3 {
		shuffled := append([]Node(nil), ns...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := owners(mustNew(t, shuffled))
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("order %v: key %q went to %s, before to %s", shuffled, key(i), got[i], want[i])
			}
		}
	}
}

func TestLookupIndex(t *testing.T) {
	ns := nodes("x", "y", "z")
	r := mustNew(t, ns)
	for i := range 1000 {
		if idx := r.LookupIndex(key(i)); ns[idx] != r.Lookup(key(i)) {
			t.Fatalf("LookupIndex(%q) = %d, Lookup = %v", key(i), idx, r.Lookup(key(i)))
		}
	}
	one := mustNew(t, nodes("only"))
	for i := range 100 {
		if one.LookupIndex(key(i)) != 0 {
			t.Fatal("a one-node ring sent a key elsewhere")
		}
	}
}

func TestEvenShares(t *testing.T) {
	r := mustNew(t, nodes("n0", "n1", "n2", "n3", "n4"))
	count := map[string]int{}
	for _, o := range owners(r) {
		count[o]++
	}
	for n, c := range count {
		// 160 points per node keep a share within ~15% of 1/5.
		if share := float64(c) / numKeys; share < 0.17 || share > 0.23 {
			t.Errorf("node %s got %.3f of the keys, want about 0.20", n, share)
		}
	}
}

func TestWeights(t *testing.T) {
	r := mustNew(t, []Node{{"a", 1}, {"b", 2}, {"c", 1}})
	count := map[string]int{}
	for _, o := range owners(r) {
		count[o]++
	}
	ratio := float64(count["b"]) / (float64(count["a"]+count["c"]) / 2)
	t.Logf("keys per node %v: weight 2 gets %.3f times weight 1", count, ratio)
	if ratio < 1.7 || ratio > 2.3 {
		t.Errorf("the weight-2 node got %.2f times a weight-1 node's keys (%v), want about 2", ratio, count)
	}
}

// TestAddNode: a fifth node takes about a fifth of the keys, and every key
// that moves moves onto it.
func TestAddNode(t *testing.T) {
	before := owners(mustNew(t, nodes("n0", "n1", "n2", "n3")))
	after := owners(mustNew(t, nodes("n0", "n1", "n2", "n3", "n4")))
	moved := 0
	for i := range before {
		if before[i] == after[i] {
			continue
		}
		moved++
		if after[i] != "n4" {
			t.Fatalf("key %q moved from %s to %s, not to the new node", key(i), before[i], after[i])
		}
	}
	frac := float64(moved) / numKeys
	t.Logf("adding a fifth node moved %.4f of %d keys", frac, numKeys)
	if frac < 0.15 || frac > 0.25 {
		t.Errorf("adding a fifth node moved %.3f of the keys, want about 0.20", frac)
	}
}

// TestRemoveNode: removing a node moves its keys and no others.
func TestRemoveNode(t *testing.T) {
	before := owners(mustNew(t, nodes("n0", "n1", "n2", "n3", "n4")))
	after := owners(mustNew(t, nodes("n0", "n1", "n3", "n4")))
	for i := range before {
		switch {
		case before[i] == "n2" && after[i] == "n2":
			t.Fatalf("key %q still on the removed node", key(i))
		case before[i] != "n2" && after[i] != before[i]:
			t.Fatalf("key %q moved from %s to %s though its node stayed", key(i), before[i], after[i])
		}
	}
}

func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes []Node
	}{
		{"none", nil},
		{"empty name", []Node{{"", 1}}},
		{"duplicate", []Node{{"a", 1}, {"a", 2}}},
		{"zero weight", []Node{{"a", 0}}},
		{"heavy", []Node{{"a", MaxWeight + 1}}},
	} {
		if _, err := New(tc.nodes); err == nil {
			t.Errorf("%s: New(%v) succeeded", tc.name, tc.nodes)
		}
	}
}

func TestNodesIsACopy(t *testing.T) {
	r := mustNew(t, nodes("a", "b"))
	r.Nodes()[0].Name = "changed"
	if r.Lookup("k").Name == "changed" || r.Nodes()[0].Name != "a" {
		t.Fatal("Nodes exposed the ring's own slice")
	}
}

func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{3, 16, 128} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			ns := make([]Node, n)
			for i := range ns {
				ns[i] = Node{Name: fmt.Sprintf("10.0.0.%d:3000", i), Weight: 1}
			}
			r := mustNew(b, ns)
			keys := make([]string, 1024)
			for i := range keys {
				keys[i] = key(i)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.LookupIndex(keys[i&1023])
				i++
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	ns := nodes("n0", "n1", "n2", "n3", "n4")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(ns); err != nil {
			b.Fatal(err)
		}
	}
}
