package unfurl

import (
	"bytes"
	"io"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// Lengths kept of what a page says, in runes: a card shows a line of title
// and two or three of description.
const (
	maxTitle       = 200
	maxDescription = 500
	maxSiteName    = 100
	maxImageURL    = 2048
)

// parse reads a page's <head>: OpenGraph's og:title, og:description,
// og:image and og:site_name, falling back to <title> and <meta
// name="description">. Scanning stops at <body>, so a page cannot make us
// tokenise megabytes of content for metadata that belongs in the head.
func parse(body []byte, cs string, base *url.URL) Page {
	var r io.Reader = bytes.NewReader(body)
	if cr, err := charset.NewReader(r, "text/html; charset="+cs); err == nil {
		r = cr
	}
	z := html.NewTokenizer(r)
	z.SetMaxBuf(1 << 20)
	var p Page
	var title, desc string
	inTitle := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return finish(p, title, desc, base)
		case html.TextToken:
			if inTitle && title == "" {
				title = string(z.Text())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if atom.Lookup(name) == atom.Title {
				inTitle = false
			}
			if atom.Lookup(name) == atom.Head {
				return finish(p, title, desc, base)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch atom.Lookup(name) {
			case atom.Body:
				return finish(p, title, desc, base)
			case atom.Title:
				inTitle = tt == html.StartTagToken
			case atom.Meta:
				if !hasAttr {
					continue
				}
				var prop, nameAttr, content string
				for {
					k, v, more := z.TagAttr()
					switch string(k) {
					case "property":
						prop = strings.ToLower(string(v))
					case "name":
						nameAttr = strings.ToLower(string(v))
					case "content":
						content = string(v)
					}
					if !more {
						break
					}
				}
				// Some sites put OpenGraph keys in name=.
				key := prop
				if key == "" {
					key = nameAttr
				}
				switch key {
				case "og:title":
					setOnce(&p.Title, content)
				case "og:description":
					setOnce(&p.Description, content)
				case "og:site_name":
					setOnce(&p.SiteName, content)
				case "og:image", "og:image:url", "og:image:secure_url":
					setOnce(&p.ImageURL, content)
				case "description":
					setOnce(&desc, content)
				}
			}
		}
	}
}

func setOnce(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// finish applies the fallbacks, cleans every string and resolves the image
// URL against the page's.
func finish(p Page, title, desc string, base *url.URL) Page {
	if p.Title == "" {
		p.Title = title
	}
	if p.Description == "" {
		p.Description = desc
	}
	p.Title = clean(p.Title, maxTitle)
	p.Description = clean(p.Description, maxDescription)
	p.SiteName = clean(p.SiteName, maxSiteName)
	p.ImageURL = imageURL(p.ImageURL, base)
	return p
}

// clean collapses whitespace, drops control and invalid characters and cuts
// s to at most n runes (with an ellipsis).
func clean(s string, n int) string {
	var b strings.Builder
	space := false
	count := 0
	for _, r := range strings.TrimSpace(s) {
		if r == utf8.RuneError || (unicode.IsControl(r) && !unicode.IsSpace(r)) ||
			unicode.Is(unicode.Cf, r) && r != '\u200d' {
			continue
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			count++
		}
		space = false
		if count >= n {
			return strings.TrimSpace(b.String()) + "…"
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}

// imageURL resolves raw against base; "" unless it is a short http(s) URL.
func imageURL(raw string, base *url.URL) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxImageURL {
		return ""
	}
	u, err := base.Parse(raw)
	if err != nil || checkURL(u) != nil {
		return ""
	}
	s := u.String()
	if len(s) > maxImageURL {
		return ""
	}
	return s
}

// FirstURL finds the first http(s) URL in a message body, outside code
// (fenced blocks and `inline code`), as the renderer would link it: the
// trailing punctuation of a sentence is not part of it. "" for none.
func FirstURL(body string) string {
	fenced := false
	for line := range strings.Lines(body) {
		if t := strings.TrimLeft(line, " "); strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		line = stripInlineCode(line)
		for i := 0; i < len(line); {
			j := indexScheme(line[i:])
			if j < 0 {
				break
			}
			start := i + j
			end := start
			for end < len(line) && !isURLEnd(line[end]) {
				end++
			}
			cand := trimURL(line[start:end])
			if u, err := url.Parse(cand); err == nil && checkURL(u) == nil && len(cand) <= maxImageURL {
				return cand
			}
			i = max(end, start+1)
		}
	}
	return ""
}

// indexScheme is the index of the first "http://" or "https://" in s, -1
// for none. One scan: searching for each separately rescanned the rest of a
// line for the one it lacks after every candidate, quadratic in its length.
func indexScheme(s string) int {
	for i := 0; ; {
		j := strings.Index(s[i:], "http")
		if j < 0 {
			return -1
		}
		i += j
		if rest := s[i+4:]; strings.HasPrefix(rest, "://") || strings.HasPrefix(rest, "s://") {
			return i
		}
		i += 4
	}
}

func isURLEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '<' || c == '>' || c == '"' || c == '`'
}

// trimURL drops trailing sentence punctuation and an unbalanced closing
// parenthesis (a link in brackets, or Markdown's [text](url)).
func trimURL(s string) string {
	for len(s) > 0 {
		c := s[len(s)-1]
		switch {
		case strings.IndexByte(".,:;!?'*_~", c) >= 0:
			s = s[:len(s)-1]
		case c == ')' && strings.Count(s, "(") < strings.Count(s, ")"):
			s = s[:len(s)-1]
		default:
			return s
		}
	}
	return s
}

// stripInlineCode blanks `code spans` so URLs in them are not previewed.
func stripInlineCode(line string) string {
	if !strings.Contains(line, "`") {
		return line
	}
	b := []byte(line)
	in := false
	for i, c := range b {
		if c == '`' {
			in = !in
			continue
		}
		if in {
			b[i] = ' '
		}
	}
	return string(b)
}
