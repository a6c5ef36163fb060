// Package ring is a consistent-hash ring with weighted virtual nodes: it
// maps keys (user ids, session tokens) to nodes (instances) so that every
// process that builds a ring from the same nodes maps every key to the same
// node, and adding or removing one node moves only the keys that must move.
//
// The ring is built once; a lookup is one hash and one binary search over
// a sorted slice, with no allocation and no lock. A Ring is immutable and
// safe for concurrent use; to change the nodes, build a new one.
package ring

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// PointsPerWeight is the number of virtual nodes one unit of weight places
// on the ring. 160 (as ketama) keeps a node's share within a few percent of
// its weight's share; more points only cost memory (12 bytes each) and a
// slightly deeper search.
const PointsPerWeight = 160

// MaxWeight bounds a node's weight, and with it the ring's memory: weights
// are relative capacities, and 1..100 expresses them to the percent.
const MaxWeight = 100

// Node is one member of the ring. Name identifies it (an address, an
// instance id) and alone decides where its points fall, so the same name
// lands in the same places in every ring and every process. Weight (1 to
// MaxWeight) is its relative share of the keys.
type Node struct {
	Name   string
	Weight int
}

// Ring maps keys to nodes. The zero value is not usable; call New.
type Ring struct {
	nodes  []Node
	points []uint64 // sorted ascending, no duplicates
	owners []int32  // owners[i] is the index in nodes of points[i]'s node
}

// New builds a ring over nodes. Names must be non-empty and unique, weights
// within 1..MaxWeight. The mapping depends on the names and weights only,
// not on the order of nodes (indices returned by LookupIndex refer to this
// slice).
func New(nodes []Node) (*Ring, error) {
	if len(nodes) == 0 {
		return nil, errors.New("ring: no nodes")
	}
	seen := make(map[string]bool, len(nodes))
	total := 0
	for _, n := range nodes {
		switch {
		case n.Name == "":
			return nil, errors.New("ring: a node has an empty name")
		case seen[n.Name]:
			return nil, fmt.Errorf("ring: node %q is listed twice", n.Name)
		case n.Weight < 1 || n.Weight > MaxWeight:
			return nil, fmt.Errorf("ring: node %q has weight %d; want 1..%d", n.Name, n.Weight, MaxWeight)
		}
		seen[n.Name] = true
		total += n.Weight * PointsPerWeight
	}

	type vnode struct {
		point uint64
		owner int32
	}
	vs := make([]vnode, 0, total)
	var buf []byte
	for i, n := range nodes {
		for j := range n.Weight * PointsPerWeight {
			// "name#j": the last '#' separates the index, so no two
			// (name, j) pairs share a string.
			buf = strconv.AppendInt(append(append(buf[:0], n.Name...), '#'), int64(j), 10)
			vs = append(vs, vnode{point: hashBytes(buf), owner: int32(i)})
		}
	}
	// Ties (two points on the same 64-bit value, vanishingly rare) go to
	// the smaller name, so the input order never matters.
	slices.SortFunc(vs, func(a, b vnode) int {
		if c := cmp.Compare(a.point, b.point); c != 0 {
			return c
		}
		return cmp.Compare(nodes[a.owner].Name, nodes[b.owner].Name)
	})
	vs = slices.CompactFunc(vs, func(a, b vnode) bool { return a.point == b.point })

	r := &Ring{nodes: slices.Clone(nodes), points: make([]uint64, len(vs)), owners: make([]int32, len(vs))}
	for i, v := range vs {
		r.points[i], r.owners[i] = v.point, v.owner
	}
	return r, nil
}

// LookupIndex returns the index (in the slice given to New) of the node
// that owns key: the first point clockwise from the key's hash.
func (r *Ring) LookupIndex(key string) int {
	i, _ := slices.BinarySearch(r.points, Hash(key))
	if i == len(r.points) {
		i = 0 // past the last point: wrap around
	}
	return int(r.owners[i])
}

// Lookup returns the node that owns key.
func (r *Ring) Lookup(key string) Node { return r.nodes[r.LookupIndex(key)] }

// Nodes returns the ring's nodes in the order given to New.
func (r *Ring) Nodes() []Node { return slices.Clone(r.nodes) }

// Hash is the ring's hash: 64-bit FNV-1a, then MurmurHash3's 64-bit
// finalizer, which spreads FNV's output over all bits (FNV alone clusters
// keys that differ only at their end, such as "node#1" and "node#2"). It is
// part of the ring's contract: every process, in every version, must
// compute the same value, so changing it remaps every key.
func Hash(key string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= fnvPrime
	}
	return mix(h)
}

func hashBytes(b []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return mix(h)
}

// The FNV-1a 64 constants, as in hash/fnv (whose interface would cost an
// allocation per lookup).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mix is MurmurHash3's fmix64.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9a53fe1a85b
	h ^= h >> 33
	return h
}
