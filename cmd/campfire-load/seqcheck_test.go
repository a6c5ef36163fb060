package main

import "testing"

func TestSeqCheck(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		start                      int64
		seqs                       []int64
		final                      int64
		expected, lost, extra, dup int64
		ooo, stale                 int64
	}{
		{name: "all in order", start: 10, seqs: []int64{11, 12, 13}, final: 13, expected: 3},
		{name: "nothing posted", start: 5, final: 5},
		{name: "gap", start: 0, seqs: []int64{1, 2, 4, 5}, final: 5, expected: 5, lost: 1},
		{name: "tail missing", start: 0, seqs: []int64{1, 2}, final: 5, expected: 5, lost: 3},
		{name: "duplicates", start: 0, seqs: []int64{1, 2, 2, 3, 1}, final: 3, expected: 3, dup: 2},
		{name: "out of order", start: 0, seqs: []int64{2, 1, 3}, final: 3, expected: 3, ooo: 1},
		{name: "before the start", start: 7, seqs: []int64{6, 7, 8}, final: 8, expected: 1, stale: 2},
		{name: "above final", start: 0, seqs: []int64{1, 2, 3}, final: 2, expected: 2, extra: 1},
		{name: "across words", start: 100, seqs: seqRange(101, 300), final: 300, expected: 200},
		{name: "across words, gap at 64", start: 0, seqs: append(seqRange(1, 64), seqRange(66, 200)...), final: 200, expected: 200, lost: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c seqCheck
			c.begin(tc.start)
			c.begin(tc.start + 1000) // a resubscription changes nothing
			for _, s := range tc.seqs {
				c.add(s)
			}
			exp, lost, extra := c.verdict(tc.final)
			if exp != tc.expected || lost != tc.lost || extra != tc.extra || c.dups != tc.dup || c.ooo != tc.ooo || c.stale != tc.stale {
				t.Errorf("expected %d lost %d extra %d dups %d ooo %d stale %d; want %d %d %d %d %d %d",
					exp, lost, extra, c.dups, c.ooo, c.stale, tc.expected, tc.lost, tc.extra, tc.dup, tc.ooo, tc.stale)
			}
		})
	}
	var c seqCheck
	if c.add(1) || c.stale != 1 {
		t.Error("a seq before the subscription started counts as new")
	}
}

func seqRange(from, to int64) []int64 {
	var s []int64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}
