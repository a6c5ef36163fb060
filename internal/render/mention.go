package render

import (
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Mentions are found while parsing, not by rewriting the HTML afterwards,
// so Markdown itself decides what is code, link text or a URL: the '@'
// trigger never fires inside code spans or blocks, and linkify consumes URLs
// and email addresses whole before the '@' in them is reached.

// mentionKey carries a *mentionState through one parse.
var mentionKey = parser.NewContextKey()

// mentionState is the per-call part of a parse: who may be mentioned and who
// was.
type mentionState struct {
	members []Mentionable
	index   *mentionIndex // built at the first '@': most messages have none
	ids     []int64
	// key and ends are match's scratch space, reused across '@'s.
	key  []byte
	ends []foldEnd
}

// mentionIndex finds members by case-folded name. A lookup costs one map
// probe per distinct name length, whatever the number of members, so a
// message full of '@'s in a room of thousands stays cheap to render.
type mentionIndex struct {
	byName  map[string]*Mentionable // folded name → first member listed with it
	lengths []int                   // distinct folded name lengths in runes, longest first
	first   map[rune]bool           // folded first runes, to dismiss most '@'s at once
}

type foldEnd struct{ key, src int }

func newMentionIndex(members []Mentionable) *mentionIndex {
	ix := &mentionIndex{byName: make(map[string]*Mentionable), first: make(map[rune]bool)}
	var key []byte
	for i := range members {
		m := &members[i]
		// An empty name would match every bare '@'.
		if m.Name == "" {
			continue
		}
		key = key[:0]
		n := 0
		for _, r := range m.Name {
			key = utf8.AppendRune(key, foldKey(r))
			n++
		}
		if _, dup := ix.byName[string(key)]; dup {
			continue // the first listed wins, so the result does not depend on map order
		}
		ix.byName[string(key)] = m
		first, _ := utf8.DecodeRuneInString(m.Name)
		ix.first[foldKey(first)] = true
		if !slices.Contains(ix.lengths, n) {
			ix.lengths = append(ix.lengths, n)
		}
	}
	slices.SortFunc(ix.lengths, func(a, b int) int { return b - a })
	return ix
}

// match returns the member whose name starts rest (the text after an '@')
// and how many bytes of rest the name covers. The longest name wins, so
// "@Alice Smith" is Alice Smith even when there is also an Alice; a name
// only matches up to a word boundary, so "@Alicea" is nobody.
func (s *mentionState) match(rest []byte) (*Mentionable, int) {
	if s.index == nil {
		s.index = newMentionIndex(s.members)
	}
	ix := s.index
	if len(ix.lengths) == 0 {
		return nil, 0
	}
	if r, _ := utf8.DecodeRune(rest); !ix.first[foldKey(r)] {
		return nil, 0
	}
	// Fold as many runes as the longest name, noting where each ends in
	// the folded key and in rest.
	key, ends := s.key[:0], s.ends[:0]
	for i := 0; i < len(rest) && len(ends) < ix.lengths[0]; {
		r, size := utf8.DecodeRune(rest[i:])
		if r == '\n' {
			break // names are one line
		}
		key = utf8.AppendRune(key, foldKey(r))
		i += size
		ends = append(ends, foldEnd{key: len(key), src: i})
	}
	s.key, s.ends = key, ends
	for _, n := range ix.lengths {
		if n > len(ends) {
			continue
		}
		e := ends[n-1]
		if next, _ := utf8.DecodeRune(rest[e.src:]); isWordRune(next) {
			continue
		}
		if m := ix.byName[string(key[:e.key])]; m != nil {
			return m, e.src
		}
	}
	return nil, 0
}

// isWordRune reports whether r would continue a word, so that an '@' or a
// name next to it is not a mention boundary (bob@example.com, @Alicea).
// Punctuation, including '_' and '*', is a boundary so that emphasis around
// a mention works.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// foldKey maps every case variant of r to one rune (the smallest of its
// Unicode simple-fold orbit), so that K, k and the Kelvin sign are one key,
// as strings.EqualFold would have them.
func foldKey(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	k := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		k = min(k, f)
	}
	return k
}

var kindMention = ast.NewNodeKind("Mention")

// mentionNode is one resolved @-mention.
type mentionNode struct {
	ast.BaseInline
	id   int64
	name string // the member's canonical name, not the casing typed
	// typed is "@alice" as written, put back as plain text when the
	// mention turns out to be inside a link.
	typed text.Segment
}

func (n *mentionNode) Kind() ast.NodeKind { return kindMention }

func (n *mentionNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{
		"ID":   strconv.FormatInt(n.id, 10),
		"Name": n.name,
	}, nil)
}

// mentionParser recognises "@Name" for the members in the parse context.
type mentionParser struct{}

func (mentionParser) Trigger() []byte { return []byte{'@'} }

func (mentionParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	st, _ := pc.Get(mentionKey).(*mentionState)
	if st == nil || len(st.members) == 0 {
		return nil
	}
	if isWordRune(block.PrecendingCharacter()) {
		return nil
	}
	line, seg := block.PeekLine()
	m, n := st.match(line[1:])
	if m == nil {
		return nil
	}
	block.Advance(1 + n)
	return &mentionNode{id: m.ID, name: m.Name, typed: seg.WithStop(seg.Start + 1 + n)}
}

func (mentionParser) CloseBlock(parent ast.Node, pc parser.Context) {}

// mentionTransformer runs once the whole document is parsed. The inline
// parser cannot know whether an '@' sits in link text, because goldmark only
// turns "[...]" into a link when it reaches the closing "](...)"; so mentions
// inside links and image descriptions are turned back into text here, and
// the ones that remain are recorded.
type mentionTransformer struct{}

func (mentionTransformer) Transform(doc *ast.Document, _ text.Reader, pc parser.Context) {
	st, _ := pc.Get(mentionKey).(*mentionState)
	if st == nil || st.index == nil {
		return // no '@' reached the parser, so there is nothing to find
	}
	var inLinks []*mentionNode
	var seen map[int64]bool
	linkDepth := 0
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n.Kind() {
		case ast.KindLink, ast.KindImage, ast.KindAutoLink:
			if entering {
				linkDepth++
			} else {
				linkDepth--
			}
		case kindMention:
			if !entering {
				break
			}
			m := n.(*mentionNode)
			if linkDepth > 0 {
				inLinks = append(inLinks, m)
				break
			}
			if seen == nil {
				seen = make(map[int64]bool)
			}
			if !seen[m.id] {
				seen[m.id] = true
				st.ids = append(st.ids, m.id)
			}
		}
		return ast.WalkContinue, nil
	})
	// Replaced after the walk, which must not see the tree change under it.
	for _, m := range inLinks {
		m.Parent().ReplaceChild(m.Parent(), m, ast.NewTextSegment(m.typed))
	}
}

func renderMention(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*mentionNode)
	id := strconv.FormatInt(n.id, 10)
	_, _ = w.WriteString(`<a class="mention" href="/users/` + id + `" data-user-id="` + id + `">@`)
	_, _ = w.Write(util.EscapeHTML([]byte(n.name)))
	_, _ = w.WriteString(`</a>`)
	return ast.WalkContinue, nil
}
