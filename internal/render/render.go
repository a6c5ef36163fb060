// Package render turns a message's Markdown body into the HTML that browsers
// show, and finds the room members it mentions.
//
// The HTML goes through two independent layers: goldmark never passes raw HTML
// (it is shown escaped, as typed) or dangerous link schemes through, and a bluemonday allow-list policy then
// removes anything a parser bug might still let by. Either layer alone is
// meant to be enough; together a mistake in one is not an XSS hole.
package render

import (
	"bytes"
	stdhtml "html"
	"regexp"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Mentionable is a room member who can be @-mentioned.
type Mentionable struct {
	ID   int64
	Name string
}

// Renderer converts message bodies to sanitized HTML. Build one with New and
// share it: the Markdown pipeline and the sanitizer policy are compiled once
// and are safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
	// highlightTime is maxHighlightTime; tests raise it so that a loaded
	// machine cannot change their output.
	highlightTime time.Duration
}

// New builds a Renderer.
func New() *Renderer {
	md := goldmark.New(
		goldmark.WithExtensions(
			// GFM minus its linkify defaults (which autolink ftp://) and its
			// task-list renderer (which emits <input> elements); see below.
			extension.NewLinkify(extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"})),
			extension.Table,
			extension.Strikethrough,
			extension.TaskList,
		),
		goldmark.WithParserOptions(
			parser.WithInlineParsers(util.Prioritized(mentionParser{}, 500)),
			parser.WithASTTransformers(util.Prioritized(mentionTransformer{}, 500)),
		),
		goldmark.WithRendererOptions(
			// A newline typed into a chat box is meant as a line break,
			// not as Markdown's "same paragraph, reflowed".
			html.WithHardWraps(),
			// goldmark lets the lowest priority value win; 100 beats the
			// TaskList extension's 500, so our checkbox renderer replaces it.
			renderer.WithNodeRenderers(util.Prioritized(nodeRenderer{}, 100)),
		),
		// No html.WithUnsafe: raw HTML in a body is shown as the text that
		// was typed (nodeRenderer), and javascript:/vbscript:/file:/data:
		// link targets are emptied.
	)
	return &Renderer{md: md, policy: newPolicy(), highlightTime: maxHighlightTime}
}

// newPolicy is UGCPolicy narrowed and extended for what the renderer emits.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	// Mentions are same-site links; nofollow and a new tab are for the
	// outside world only.
	p.RequireNoFollowOnLinks(false)
	p.RequireNoFollowOnFullyQualifiedLinks(true)
	// Adding target="_blank" also makes bluemonday add rel="noopener".
	p.AddTargetBlankToFullyQualifiedLinks(true)
	// Restated from UGCPolicy so the allow-list is visible here.
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[\w+#.-]{1,40}$`)).OnElements("code")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^mention$`)).OnElements("a")
	// One rule per element and attribute (a second call replaces the
	// first): a <span> is a mention or one of chroma's token classes.
	p.AllowAttrs("class").Matching(spanClassRE).OnElements("span")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^chroma$`)).OnElements("pre")
	p.AllowAttrs("data-user-id").Matching(regexp.MustCompile(`^[0-9]{1,19}$`)).OnElements("a")
	return p
}

// Render turns a Markdown body into sanitized HTML and returns the ids of the
// members it mentions, deduplicated, in order of first appearance. Mentions
// are matched against members only, so the caller decides who can be
// mentioned (usually the room's members).
func (r *Renderer) Render(body string, members []Mentionable) (html string, mentions []int64) {
	if tooComplex(body) {
		return plainHTML(body), nil
	}
	src := []byte(body)
	state := &mentionState{members: members}
	pc := parser.NewContext()
	pc.Set(mentionKey, state)
	doc := r.md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
	markHighlights(doc, src, r.highlightTime)

	var buf bytes.Buffer
	buf.Grow(len(src) + len(src)/2 + 64)
	if err := r.md.Renderer().Render(&buf, src, doc); err != nil {
		// The HTML renderer only fails when its writer does, and a
		// bytes.Buffer never does; show nothing rather than half a message.
		return "", nil
	}
	out := r.policy.SanitizeReader(&buf)
	return string(bytes.TrimRight(out.Bytes(), "\n")), state.ids
}

// nodeRenderer renders the nodes this package adds or renders differently.
type nodeRenderer struct{}

func (nodeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindMention, renderMention)
	reg.Register(extast.KindTaskCheckBox, renderTaskCheckBox)
	reg.Register(ast.KindImage, renderImageAsLink)
	reg.Register(ast.KindRawHTML, renderRawHTMLAsText)
	reg.Register(ast.KindHTMLBlock, renderHTMLBlockAsText)
	reg.Register(ast.KindFencedCodeBlock, renderFencedCode)
}

// renderRawHTMLAsText shows inline HTML ("wrap it in a <div> tag") as the
// text that was typed: people paste code and talk about markup, and goldmark's
// safe mode would drop it. Escaped, it can never become markup.
func renderRawHTMLAsText(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	segs := node.(*ast.RawHTML).Segments
	for i := range segs.Len() {
		seg := segs.At(i)
		writeEscapedLines(w, seg.Value(source))
	}
	return ast.WalkSkipChildren, nil
}

// renderHTMLBlockAsText shows a block of HTML as a paragraph of its source
// text, line breaks kept, for the same reason as renderRawHTMLAsText.
func renderHTMLBlockAsText(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.HTMLBlock)
	var src []byte
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		src = append(src, line.Value(source)...)
	}
	if n.HasClosure() {
		src = append(src, n.ClosureLine.Value(source)...)
	}
	src = bytes.TrimRight(src, "\r\n")
	if len(src) == 0 {
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<p>")
	writeEscapedLines(w, src)
	_, _ = w.WriteString("</p>\n")
	return ast.WalkContinue, nil
}

// writeEscapedLines writes b as escaped text, each newline a hard break as
// everywhere else in a message.
func writeEscapedLines(w util.BufWriter, b []byte) {
	for i, line := range bytes.Split(b, []byte("\n")) {
		if i > 0 {
			_, _ = w.WriteString("<br>\n")
		}
		_, _ = w.Write(util.EscapeHTML(bytes.TrimSuffix(line, []byte("\r"))))
	}
}

// renderImageAsLink draws ![alt](url) as a link to the image instead of an
// <img>: an inline remote image would tell its host the IP address of every
// reader of the room, and the page's Content-Security-Policy only loads
// images from this server anyway.
func renderImageAsLink(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	img := node.(*ast.Image)
	_, _ = w.WriteString(`<a href="`)
	if !html.IsDangerousURL(img.Destination) {
		_, _ = w.Write(util.EscapeHTML(util.URLEscape(img.Destination, true)))
	}
	_, _ = w.WriteString(`">`)
	if img.ChildCount() == 0 {
		_, _ = w.Write(util.EscapeHTML(img.Destination))
	}
	return ast.WalkContinue, nil
}

// renderTaskCheckBox draws "- [x] done" as a ballot-box character rather
// than GFM's disabled <input>: a chat message cannot tick the box anyway, and
// keeping form controls out of the sanitizer's allow-list keeps it simpler to
// trust.
func renderTaskCheckBox(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	if node.(*extast.TaskCheckBox).IsChecked {
		_, _ = w.WriteString("\u2611 ")
	} else {
		_, _ = w.WriteString("\u2610 ")
	}
	return ast.WalkContinue, nil
}

// maxMarkup bounds the Markdown punctuation a body may carry outside code
// fences and still be parsed. goldmark matches emphasis and link delimiters
// in time quadratic in their number within a paragraph: 64 KiB of "*a_"
// took 1.6 s to render, 2,000 delimiters take a few ms. maxLinks bounds
// link openings ("]("), each of which may scan the rest of the paragraph
// for its closing parenthesis. No message a person writes comes near
// either; past them the body is shown as plain text.
const (
	maxMarkup = 2000
	maxLinks  = 100
)

// tooComplex reports whether body has more than maxMarkup characters that
// can open or close Markdown structure, not counting fenced code, where
// they are literal (a long code paste keeps its formatting).
func tooComplex(body string) bool {
	n, links, fenced := 0, 0, false
	for line := range strings.Lines(body) {
		if t := strings.TrimLeft(line, " "); strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		n += strings.Count(line, "*") + strings.Count(line, "_") + strings.Count(line, "~") +
			strings.Count(line, "[") + strings.Count(line, "]") + strings.Count(line, ">")
		links += strings.Count(line, "](")
		if n > maxMarkup || links > maxLinks {
			return true
		}
	}
	return false
}

// plainHTML shows body as escaped text, keeping its line breaks.
func plainHTML(body string) string {
	esc := stdhtml.EscapeString(strings.TrimRight(body, "\n"))
	return "<p>" + strings.ReplaceAll(esc, "\n", "<br>\n") + "</p>"
}
