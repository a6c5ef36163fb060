package importonce

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Campfire stores message bodies as Action Text rich text: the HTML its
// Trix editor produces (a <div> per paragraph, <br> for line breaks,
// strong, em, del, a, h1, blockquote, pre, ul/ol) with people mentioned as
// <action-text-attachment> elements that name the user by a signed global
// id, and link previews as attachments of their own content type. markdown
// turns that into the Markdown our renderer reads, so an imported message
// renders (and can be edited) like one typed here.

const (
	mentionType   = "application/vnd.campfire.mention"
	opengraphType = "application/vnd.actiontext.opengraph-embed"
)

// mentionNamer names the user an attachment mentions ("" when unknown).
type mentionNamer func(userID int64) string

// markdown converts one rich text body.
func markdown(body string, name mentionNamer) string {
	nodes, err := html.ParseFragment(strings.NewReader(body), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		// The tokenizer accepts any input; an error is a read error, which
		// a string reader never returns. Keep the text rather than lose it.
		return escapeText(body, true)
	}
	c := converter{name: name}
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	c.blocks(root, "")
	c.flushPara("")
	return tidy(c.out.String())
}

type converter struct {
	name mentionNamer
	out  strings.Builder
	// line holds the inline content of the block being built.
	line strings.Builder
	// sep is what goes before the next block: "" at the start, "\n" after a
	// paragraph line (our renderer makes a newline a line break, as Trix's
	// stacked <div>s look), "\n\n" after a list, quote, heading or code.
	sep string
}

// blockTags end the inline run around them.
func isBlock(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	switch n.DataAtom {
	case atom.Div, atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Blockquote, atom.Pre,
		atom.Ul, atom.Ol, atom.Li, atom.Figure, atom.Hr, atom.Table, atom.Section, atom.Article, atom.Header, atom.Footer:
		return true
	}
	return false
}

// blocks writes n's children as blocks, each line prefixed by prefix (a
// quote's "> ").
func (c *converter) blocks(n *html.Node, prefix string) {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if !isBlock(ch) {
			c.inline(ch, &c.line)
			continue
		}
		c.flushPara(prefix)
		switch ch.DataAtom {
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
			var b strings.Builder
			c.inlineChildren(ch, &b)
			if t := strings.TrimSpace(b.String()); t != "" {
				c.emit(prefix, "# "+t, "\n\n")
			}
		case atom.Blockquote:
			sub := converter{name: c.name}
			sub.blocks(ch, "")
			sub.flushPara("")
			if t := tidy(sub.out.String()); t != "" {
				c.emitLines(prefix+"> ", t, "\n\n")
			}
		case atom.Pre:
			code := strings.TrimSuffix(textOf(ch, true), "\n")
			if strings.TrimSpace(code) != "" {
				fence := strings.Repeat("`", max(3, longestRun(code, '`')+1))
				c.emitLines(prefix, fence+"\n"+code+"\n"+fence, "\n\n")
			}
		case atom.Ul, atom.Ol:
			var b strings.Builder
			c.list(ch, "", &b)
			if t := strings.TrimRight(b.String(), "\n"); t != "" {
				c.emitLines(prefix, t, "\n\n")
			}
		case atom.Hr:
			c.emit(prefix, "---", "\n\n")
		default: // div, p, li outside a list, figure…
			c.blocks(ch, prefix)
			c.flushPara(prefix)
		}
	}
}

// flushPara writes the inline run built so far as a paragraph line.
func (c *converter) flushPara(prefix string) {
	text := c.line.String()
	c.line.Reset()
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" && text == "" {
			return
		}
		c.emit(prefix, escapeLineStart(l), "\n")
	}
}

func (c *converter) emit(prefix, s, after string) {
	if c.sep == "\n" && after == "\n\n" && s != "" {
		c.sep = "\n\n" // a list or quote needs a blank line before it
	}
	c.out.WriteString(c.sep)
	if s != "" || prefix != "" {
		c.out.WriteString(strings.TrimRight(prefix+s, " "))
	}
	c.sep = after
}

func (c *converter) emitLines(prefix, s, after string) {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(prefix+l, " ")
	}
	c.emit("", strings.Join(lines, "\n"), after)
}

// list writes a <ul> or <ol> as Markdown items, nested lists indented
// under their item.
func (c *converter) list(n *html.Node, indent string, b *strings.Builder) {
	num := 0
	for li := n.FirstChild; li != nil; li = li.NextSibling {
		if li.Type != html.ElementNode || li.DataAtom != atom.Li {
			continue
		}
		num++
		marker := "- "
		if n.DataAtom == atom.Ol {
			marker = strconv.Itoa(num) + ". "
		}
		var text strings.Builder
		var nested []*html.Node
		for ch := li.FirstChild; ch != nil; ch = ch.NextSibling {
			if ch.Type == html.ElementNode && (ch.DataAtom == atom.Ul || ch.DataAtom == atom.Ol) {
				nested = append(nested, ch)
				continue
			}
			if ch.Type == html.ElementNode && ch.DataAtom == atom.Br {
				text.WriteString(" ")
				continue
			}
			c.inline(ch, &text)
		}
		b.WriteString(indent + marker + strings.Join(strings.Fields(text.String()), " ") + "\n")
		for _, sub := range nested {
			c.list(sub, indent+strings.Repeat(" ", len(marker)), b)
		}
	}
}

func (c *converter) inlineChildren(n *html.Node, b *strings.Builder) {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		c.inline(ch, b)
	}
}

// inline writes n as inline Markdown.
func (c *converter) inline(n *html.Node, b *strings.Builder) {
	switch n.Type {
	case html.TextNode:
		b.WriteString(escapeText(collapseSpace(n.Data), false))
		return
	case html.ElementNode:
	default:
		return // comments, doctypes
	}
	switch n.DataAtom {
	case atom.Br:
		b.WriteString("\n")
	case atom.Strong, atom.B:
		c.wrap(n, b, "**")
	case atom.Em, atom.I:
		c.wrap(n, b, "*")
	case atom.Del, atom.S, atom.Strike:
		c.wrap(n, b, "~~")
	case atom.Code, atom.Kbd, atom.Samp, atom.Tt:
		code := strings.ReplaceAll(textOf(n, false), "\n", " ")
		if strings.TrimSpace(code) == "" {
			b.WriteString(code)
			return
		}
		ticks := strings.Repeat("`", longestRun(code, '`')+1)
		pad := ""
		if strings.HasPrefix(code, "`") || strings.HasSuffix(code, "`") {
			pad = " "
		}
		b.WriteString(ticks + pad + code + pad + ticks)
	case atom.A:
		c.link(n, b)
	case atom.Img:
		if src := attr(n, "src"); webURL(src) {
			label := strings.TrimSpace(attr(n, "alt"))
			if label == "" {
				label = "image"
			}
			b.WriteString("[" + escapeText(label, false) + "](<" + src + ">)")
		}
	case atom.Script, atom.Style, atom.Template:
		// Never content.
	default:
		if n.Data == "action-text-attachment" {
			b.WriteString(c.attachment(n))
			return
		}
		if n.DataAtom == atom.Figcaption {
			b.WriteString(" ")
		}
		if isBlock(n) {
			// A block inside inline content (a <div> in a link): its
			// text, on a line of its own.
			var sub strings.Builder
			c.inlineChildren(n, &sub)
			b.WriteString("\n" + sub.String() + "\n")
			return
		}
		c.inlineChildren(n, b) // unknown tags: their text
	}
}

// wrap writes n's content between markers, with the whitespace at its
// edges moved outside them (Markdown ignores "** bold**").
func (c *converter) wrap(n *html.Node, b *strings.Builder, marker string) {
	var in strings.Builder
	c.inlineChildren(n, &in)
	s := in.String()
	core := strings.TrimSpace(s)
	if core == "" {
		b.WriteString(s)
		return
	}
	lead := s[:strings.Index(s, core)]
	trail := s[len(lead)+len(core):]
	if strings.Contains(core, "\n") {
		// Emphasis cannot span a line break: mark each line.
		lines := strings.Split(core, "\n")
		for i, l := range lines {
			if l = strings.TrimSpace(l); l != "" {
				lines[i] = marker + l + marker
			}
		}
		core = strings.Join(lines, "\n")
	} else {
		core = marker + core + marker
	}
	b.WriteString(lead + core + trail)
}

func (c *converter) link(n *html.Node, b *strings.Builder) {
	href := strings.TrimSpace(attr(n, "href"))
	var in strings.Builder
	c.inlineChildren(n, &in)
	text := strings.TrimSpace(in.String())
	switch {
	case !webURL(href) && !strings.HasPrefix(href, "mailto:"):
		b.WriteString(in.String()) // no target we would follow: the text
	case text == "" || text == href || text == escapeText(href, false):
		b.WriteString("<" + href + ">")
	default:
		b.WriteString("[" + strings.ReplaceAll(text, "\n", " ") + "](<" + href + ">)")
	}
}

// attachment is what an <action-text-attachment> becomes: a mention
// "@Name", a link preview its URL, a file its name or URL.
func (c *converter) attachment(n *html.Node) string {
	switch attr(n, "content-type") {
	case mentionType:
		if id, ok := mentionedUser(n); ok {
			if name := c.name(id); name != "" {
				return "@" + name
			}
		}
		// Unknown person: the name Campfire showed, as text.
		if t := strings.TrimSpace(collapseSpace(contentText(n))); t != "" {
			return escapeText(strings.TrimPrefix(t, "@"), false)
		}
		return ""
	case opengraphType:
		for _, k := range []string{"href", "url"} {
			if u := attr(n, k); webURL(u) {
				return "<" + u + ">"
			}
		}
	}
	for _, k := range []string{"caption", "filename"} {
		if v := strings.TrimSpace(attr(n, k)); v != "" {
			return escapeText(v, false)
		}
	}
	if u := attr(n, "url"); webURL(u) {
		return "<" + u + ">"
	}
	var b strings.Builder
	c.inlineChildren(n, &b)
	return b.String()
}

var (
	gidUser  = regexp.MustCompile(`gid://[^/\s"]+/User/(\d+)`)
	userPath = regexp.MustCompile(`/users/(\d+)`)
)

// mentionedUser finds the user id in a mention's signed global id. The id
// is signed, not encrypted: the payload (before "--") is base64 of JSON or
// of Ruby's Marshal format, with the gid:// URI inside, possibly base64
// once more (older Rails kept the message in a "message" field). Only the
// id is read; the signature cannot be checked without Campfire's secret,
// and does not need to be: the file is trusted as the operator's own.
func mentionedUser(n *html.Node) (int64, bool) {
	for _, k := range []string{"gid", "sgid"} {
		if id, ok := userInGID(attr(n, k), 3); ok {
			return id, true
		}
	}
	// Campfire's mention markup links to the person: /users/ID.
	if m := userPath.FindStringSubmatch(attr(n, "url") + " " + attr(n, "href") + " " + attr(n, "content")); m != nil {
		id, err := strconv.ParseInt(m[1], 10, 64)
		return id, err == nil
	}
	return 0, false
}

func userInGID(s string, depth int) (int64, bool) {
	if s == "" || depth == 0 {
		return 0, false
	}
	if m := gidUser.FindStringSubmatch(s); m != nil {
		id, err := strconv.ParseInt(m[1], 10, 64)
		return id, err == nil
	}
	payload, _, _ := strings.Cut(s, "--")
	decoded, ok := unbase64(payload)
	if !ok {
		return 0, false
	}
	if id, ok := userInGID(decoded, 1); ok {
		return id, true
	}
	// Nested: {"_rails":{"message":"<base64>",…}}.
	var outer struct {
		Rails struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"_rails"`
	}
	if json.Unmarshal([]byte(decoded), &outer) == nil {
		for _, inner := range []string{outer.Rails.Message, outer.Rails.Data} {
			if id, ok := userInGID(inner, depth-1); ok {
				return id, true
			}
		}
	}
	return 0, false
}

func unbase64(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b), true
		}
	}
	return "", false
}

// contentText is the text of an attachment's content attribute (HTML) or,
// without one, of its children.
func contentText(n *html.Node) string {
	if c := attr(n, "content"); c != "" {
		if nodes, err := html.ParseFragment(strings.NewReader(c), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}); err == nil {
			var b strings.Builder
			for _, x := range nodes {
				b.WriteString(textOf(x, false))
			}
			return b.String()
		}
	}
	return textOf(n, false)
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

func webURL(u string) bool {
	l := strings.ToLower(u)
	return (strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")) &&
		!strings.ContainsAny(u, "<>\n\r \t")
}

// textOf is the text under n; <br> is a newline when keepBreaks.
func textOf(n *html.Node, keepBreaks bool) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
		case n.Type == html.ElementNode && n.DataAtom == atom.Br:
			if keepBreaks {
				b.WriteString("\n")
			}
		case n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style):
		default:
			for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
				walk(ch)
			}
		}
	}
	walk(n)
	return b.String()
}

func collapseSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// escapeText backslash-escapes what Markdown would read as formatting in
// text that was plain in Campfire: emphasis and code markers, brackets,
// backslashes, and (atLineStart) what would start a heading, quote or
// list. Web addresses are left whole so they still become links.
func escapeText(s string, atLineStart bool) string {
	var b strings.Builder
	word := 0 // start of the current word, for the URL check
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			word = i + size
		}
		if i == word && (hasPrefixFold(s[i:], "http://") || hasPrefixFold(s[i:], "https://") || hasPrefixFold(s[i:], "www.")) {
			end := strings.IndexFunc(s[i:], unicode.IsSpace)
			if end < 0 {
				end = len(s) - i
			}
			b.WriteString(s[i : i+end])
			i += end
			continue
		}
		switch r {
		case '\\', '*', '_', '`', '[', ']', '~':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		i += size
	}
	out := b.String()
	if atLineStart {
		lines := strings.Split(out, "\n")
		for i, l := range lines {
			lines[i] = escapeLineStart(l)
		}
		out = strings.Join(lines, "\n")
	}
	return out
}

var orderedMarker = regexp.MustCompile(`^(\s*\d{1,9})([.)])(\s|$)`)

// escapeLineStart escapes a line's first character when Markdown would
// read it as the start of a block.
func escapeLineStart(l string) string {
	t := strings.TrimLeft(l, " ")
	lead := l[:len(l)-len(t)]
	switch {
	case t == "":
		return l
	case strings.HasPrefix(t, "#"), strings.HasPrefix(t, ">"), strings.HasPrefix(t, "|"):
		return lead + `\` + t
	case (strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") || strings.HasPrefix(t, "=")) &&
		(len(t) == 1 || t[1] == ' ' || t[1] == t[0]):
		return lead + `\` + t
	}
	if m := orderedMarker.FindStringSubmatchIndex(l); m != nil {
		return l[:m[3]] + `\` + l[m[4]:]
	}
	return l
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// tidy trims each line's end and the whole, and keeps at most one blank line in a row (outside code
// fences, which are left exactly as they were).
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank, fence := 0, ""
	for _, l := range lines {
		t := strings.TrimLeft(strings.TrimLeft(l, "> "), " ")
		if fence != "" {
			out = append(out, l)
			if strings.TrimRight(t, " ") == fence {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(t, "```") {
			fence = strings.TrimRight(t, " ")
			blank = 0
			out = append(out, l)
			continue
		}
		l = strings.TrimRight(l, " \t")
		if strings.TrimSpace(l) == "" {
			blank++
			if blank > 1 {
				continue
			}
			l = ""
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
