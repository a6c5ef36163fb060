package render

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/util"
)

// maxHighlight bounds the code, summed over a message's fenced blocks, that
// is tokenised for colour, and maxHighlightTime the time it may take.
// chroma's lexers are backtracking regular expressions (each match capped
// at 250 ms by chroma itself) and cost about 4 ms of CPU per KiB of Go
// (BenchmarkRenderCode), some 50 times plain rendering; past the budget
// the remaining blocks are shown plain, which costs nothing. The time
// limit is a safety net for a pathological lexer and input: only then
// does the same body render differently on a slow day.
const (
	maxHighlight     = 16 << 10
	maxHighlightTime = 300 * time.Millisecond
)

// highlightBudget is the deadline shared by one message's blocks.
type highlightBudget struct{ deadline time.Time }

// highlightAttr marks, on a fenced code block, that it is to be coloured;
// set by markHighlights so the per-message budget is decided once, before
// rendering.
var highlightAttr = []byte("campfire-highlight")

// markHighlights walks doc and marks the fenced blocks with a known
// language, first to last, while they fit in maxHighlight.
func markHighlights(doc ast.Node, source []byte, limit time.Duration) {
	budget := maxHighlight
	var shared *highlightBudget
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		fc, ok := n.(*ast.FencedCodeBlock)
		if !ok {
			return ast.WalkContinue, nil
		}
		size := 0
		for i := range fc.Lines().Len() {
			seg := fc.Lines().At(i)
			size += seg.Len()
		}
		if size <= budget && lexerFor(fc.Language(source)) != nil {
			budget -= size
			if shared == nil {
				shared = &highlightBudget{deadline: time.Now().Add(limit)}
			}
			fc.SetAttribute(highlightAttr, shared)
		}
		return ast.WalkSkipChildren, nil
	})
}

// lexerFor finds chroma's lexer for a fence's language by name or alias
// ("go", "golang", "js", "c++"); nil for none or an unknown one, which is
// shown plain. No guessing from the content: analysis runs every lexer.
func lexerFor(lang []byte) chroma.Lexer {
	if len(lang) == 0 || len(lang) > 40 {
		return nil
	}
	l := lexers.Get(strings.ToLower(string(lang)))
	if l == nil || l == lexers.Fallback {
		return nil
	}
	return chroma.Coalesce(l)
}

// renderFencedCode draws a fenced block as goldmark does (<pre><code
// class="language-x">), and, for one marked by markHighlights, with each
// token in a <span> carrying chroma's short class name ("k", "s2", "nf").
// Classes, not inline styles: the page's CSP forbids inline style, and
// highlight.css colours them for light and dark.
func renderFencedCode(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	var code []byte
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		code = append(code, line.Value(source)...)
	}
	lang := n.Language(source)
	var tokens []chroma.Token
	if v, ok := n.Attribute(highlightAttr); ok {
		tokens = tokenise(lexerFor(lang), code, v.(*highlightBudget).deadline)
	}
	if tokens != nil {
		_, _ = w.WriteString(`<pre class="chroma">`)
	} else {
		_, _ = w.WriteString(`<pre>`)
	}
	_, _ = w.WriteString(`<code`)
	if len(lang) > 0 {
		_, _ = w.WriteString(` class="language-`)
		_, _ = w.Write(util.EscapeHTML(lang))
		_, _ = w.WriteString(`"`)
	}
	_, _ = w.WriteString(`>`)
	if tokens == nil {
		_, _ = w.Write(util.EscapeHTML(code))
	} else {
		for _, t := range tokens {
			class := tokenClass(t.Type)
			if class != "" {
				_, _ = w.WriteString(`<span class="`)
				_, _ = w.WriteString(class)
				_, _ = w.WriteString(`">`)
			}
			_, _ = w.Write(util.EscapeHTML([]byte(t.Value)))
			if class != "" {
				_, _ = w.WriteString(`</span>`)
			}
		}
	}
	_, _ = w.WriteString("</code></pre>\n")
	return ast.WalkSkipChildren, nil
}

// tokenise lexes code, or returns nil when it cannot before deadline.
func tokenise(l chroma.Lexer, code []byte, deadline time.Time) []chroma.Token {
	if l == nil || time.Now().After(deadline) {
		return nil
	}
	it, err := l.Tokenise(nil, string(code))
	if err != nil {
		return nil
	}
	var out []chroma.Token
	for t := it(); t != chroma.EOF; t = it() {
		if len(out)%64 == 0 && time.Now().After(deadline) {
			return nil
		}
		out = append(out, t)
	}
	if out == nil {
		out = []chroma.Token{}
	}
	return out
}

// tokenClass is chroma's class for t, or its nearest ancestor's; "" for
// plain text and whitespace, which need no span.
func tokenClass(t chroma.TokenType) string {
	for _, tt := range []chroma.TokenType{t, t.SubCategory(), t.Category()} {
		if c, ok := chroma.StandardTypes[tt]; ok {
			if c == "w" {
				return ""
			}
			return c
		}
	}
	return ""
}

// tokenClasses are the class names tokenClass can return: the sanitizer's
// allow-list for <span class>.
func tokenClasses() []string {
	var out []string
	for tt, c := range chroma.StandardTypes {
		if c == "" || c == "w" || (tt < 0 && tt != chroma.Error && tt != chroma.Other) {
			continue // structural classes (bg, line, ln…) are never emitted
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// spanClassRE allows a mention or one token class on a <span>.
var spanClassRE = regexp.MustCompile(`^(?:mention|` + strings.Join(tokenClasses(), "|") + `)$`)

// HighlightCSS writes the stylesheet for the token classes: GitHub's
// colours, and GitHub Dark's under prefers-color-scheme: dark. Backgrounds
// of whole blocks are left to the app's own --code-bg. The committed
// internal/ui/static/highlight.css is this output (TestHighlightCSSCommitted).
func HighlightCSS(w io.Writer) error {
	light, dark := styles.Get("github"), styles.Get("github-dark")
	if light == nil || dark == nil || light == styles.Fallback || dark == styles.Fallback {
		return fmt.Errorf("render: chroma styles github/github-dark missing")
	}
	fmt.Fprint(w, "/* Code highlighting: classes emitted by internal/render (chroma).\n"+
		"   Generated by render.HighlightCSS; regenerate with\n"+
		"   go test ./internal/render -run TestHighlightCSSCommitted -update */\n"+
		".message__body pre { tab-size: 4; -moz-tab-size: 4; }\n")
	writeRules(w, light, "")
	fmt.Fprint(w, "@media (prefers-color-scheme: dark) {\n")
	writeRules(w, dark, "  ")
	fmt.Fprint(w, "}\n")
	return nil
}

func writeRules(w io.Writer, style *chroma.Style, indent string) {
	bg := style.Get(chroma.Background)
	if c := html.StyleEntryToCSS(chroma.StyleEntry{Colour: bg.Colour}); c != "" {
		fmt.Fprintf(w, "%s.chroma { %s; }\n", indent, c)
	}
	var types []chroma.TokenType
	for tt := range chroma.StandardTypes {
		types = append(types, tt)
	}
	slices.Sort(types)
	for _, tt := range types {
		class := tokenClass(tt)
		if class == "" || class != chroma.StandardTypes[tt] || !slices.Contains(tokenClasses(), class) {
			continue
		}
		// Always state the colour: a token the style draws in the text colour
		// would otherwise inherit the light rule (#1f2328) inside the dark block.
		entry := style.Get(tt)
		sub := entry.Sub(bg)
		if !sub.Colour.IsSet() && entry.Colour.IsSet() {
			sub.Colour = entry.Colour
		}
		css := html.StyleEntryToCSS(sub)
		if css == "" {
			continue
		}
		fmt.Fprintf(w, "%s.chroma .%s { %s; }\n", indent, class, css)
	}
}
