package render

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// members is the room used by every test: overlapping names to test
// longest-match, non-ASCII to test case folding, and names full of markup to
// test escaping.
var members = []Mentionable{
	{ID: 1, Name: "Alice"},
	{ID: 2, Name: "Alice Smith"},
	{ID: 3, Name: "Bob"},
	{ID: 4, Name: "Zoë Kraus"},
	{ID: 5, Name: `<img src=x onerror=alert(1)>`},
	{ID: 6, Name: `Eve" onmouseover="alert(1)`},
	{ID: 7, Name: ""},
}

func TestRenderMarkdown(t *testing.T) {
	r := New()
	r.highlightTime = time.Hour // output must not depend on the machine's load
	ext := `rel="nofollow noopener" target="_blank"`
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello", "<p>hello</p>"},
		{"escaped text", "1 < 2 & 3 > 2", "<p>1 &lt; 2 &amp; 3 &gt; 2</p>"},
		{"bold", "**b**", "<p><strong>b</strong></p>"},
		{"italic", "_i_ *j*", "<p><em>i</em> <em>j</em></p>"},
		{"strikethrough", "~~gone~~", "<p><del>gone</del></p>"},
		{"inline code", "run `a<b && c`", "<p>run <code>a&lt;b &amp;&amp; c</code></p>"},
		{"fenced code", "```go\nx := 1\n```", "<pre class=\"chroma\"><code class=\"language-go\"><span class=\"nx\">x</span> <span class=\"o\">:=</span> <span class=\"mi\">1</span>\n</code></pre>"},
		{"fenced code odd language", "```c++\nint x;\n```", "<pre class=\"chroma\"><code class=\"language-c++\"><span class=\"kt\">int</span> <span class=\"n\">x</span><span class=\"p\">;</span>\n</code></pre>"},
		{"fenced code unknown language", "```klingon\nx <b>\n```", "<pre><code class=\"language-klingon\">x &lt;b&gt;\n</code></pre>"},
		{"fenced code no language", "```\nx := 1\n```", "<pre><code>x := 1\n</code></pre>"},
		{"indented code", "    x := <b>", "<pre><code>x := &lt;b&gt;\n</code></pre>"},
		{"hard wrap", "one\ntwo", "<p>one<br>\ntwo</p>"},
		{"paragraphs", "one\n\ntwo", "<p>one</p>\n<p>two</p>"},
		{"heading", "# Hi", "<h1>Hi</h1>"},
		{"blockquote", "> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"},
		{"bullet list", "- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"},
		{"ordered list", "1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>"},
		{"task list", "- [x] done\n- [ ] todo", "<ul>\n<li>\u2611 done</li>\n<li>\u2610 todo</li>\n</ul>"},
		{"table", "| a |\n|---|\n| b |", "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>b</td>\n</tr>\n</tbody>\n</table>"},
		{"link", "[site](https://example.com/a?b=1&c=2)", `<p><a href="https://example.com/a?b=1&amp;c=2" ` + ext + `>site</a></p>`},
		{"link with title", `[site](https://example.com "The site")`, `<p><a href="https://example.com" title="The site" ` + ext + `>site</a></p>`},
		{"relative link stays in tab", "[room](/rooms/1)", `<p><a href="/rooms/1">room</a></p>`},
		{"mailto link", "[mail](mailto:a@example.com)", `<p><a href="mailto:a@example.com">mail</a></p>`},
		{"bare URL", "see https://example.com/x.", `<p>see <a href="https://example.com/x" ` + ext + `>https://example.com/x</a>.</p>`},
		{"bare www", "www.example.com", `<p><a href="http://www.example.com" ` + ext + `>www.example.com</a></p>`},
		{"bare email", "mail bob@example.com", `<p>mail <a href="mailto:bob@example.com">bob@example.com</a></p>`},
		{"ftp not linked", "ftp://example.com/f", "<p>ftp://example.com/f</p>"},
		{"image becomes a link", "![cat](https://example.com/cat.png)", `<p><a href="https://example.com/cat.png" rel="nofollow noopener" target="_blank">cat</a></p>`},
		{"image without alt", "![](https://example.com/cat.png)", `<p><a href="https://example.com/cat.png" rel="nofollow noopener" target="_blank">https://example.com/cat.png</a></p>`},
		{"javascript image", "![x](javascript:alert(1))", `<p>x</p>`},
		// Raw HTML is shown as typed, escaped (issue 11, item 2); it used
		// to be dropped.
		{"raw inline HTML shown", "a <b>x</b> c", "<p>a &lt;b&gt;x&lt;/b&gt; c</p>"},
		{"raw HTML block shown", "<div>\nhi\n</div>", "<p>&lt;div&gt;<br>\nhi<br>\n&lt;/div&gt;</p>"},
		{"tag in a sentence", `Wrap it in a <div class="card"> tag`, "<p>Wrap it in a &lt;div class=&#34;card&#34;&gt; tag</p>"},
		{"script typed", "<script>alert(2)</script>", "<p>&lt;script&gt;alert(2)&lt;/script&gt;</p>"},
		{"body starts with an HTML block", "<div class=\"x\">\n**hi**\n\nafter", "<p>&lt;div class=&#34;x&#34;&gt;<br>\n**hi**</p>\n<p>after</p>"},
		{"comment shown", "<!-- note -->", "<p>&lt;!-- note --&gt;</p>"},
		{"inline event handler shown", "see <img src=x onerror=alert(1)> here", "<p>see &lt;img src=x onerror=alert(1)&gt; here</p>"},
		{"backslash escape", `\*not em\*`, "<p>*not em*</p>"},
		{"blank", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := r.Render(tt.in, nil)
			if got != tt.want {
				t.Errorf("Render(%q)\n got: %q\nwant: %q", tt.in, got, tt.want)
			}
		})
	}
}

func mentionHTML(id int, name string) string {
	return fmt.Sprintf(`<a class="mention" href="/users/%d" data-user-id="%d">@%s</a>`, id, id, name)
}

func TestRenderMentions(t *testing.T) {
	r := New()
	alice, aliceSmith, bob := mentionHTML(1, "Alice"), mentionHTML(2, "Alice Smith"), mentionHTML(3, "Bob")
	tests := []struct {
		name, in string
		want     string
		ids      []int64
	}{
		{"simple", "hi @Bob", "<p>hi " + bob + "</p>", []int64{3}},
		{"start of message", "@Bob hi", "<p>" + bob + " hi</p>", []int64{3}},
		{"case-insensitive, canonical name shown", "@bOB", "<p>" + bob + "</p>", []int64{3}},
		{"longest name wins", "@alice smith hi", "<p>" + aliceSmith + " hi</p>", []int64{2}},
		{"shorter name when longer does not fit", "@Alice Smithers", "<p>" + alice + " Smithers</p>", []int64{1}},
		{"punctuation after", "@Bob, @Alice! @Bob's (@Alice)", "<p>" + bob + ", " + alice + "! " + bob + "&#39;s (" + alice + ")</p>", []int64{3, 1}},
		{"word continues after name", "@Bobby @Alice2", "<p>@Bobby @Alice2</p>", nil},
		{"unknown name", "@carol", "<p>@carol</p>", nil},
		{"bare at", "@ and @@", "<p>@ and @@</p>", nil},
		{"double at", "@@Bob", "<p>@" + bob + "</p>", []int64{3}},
		{"email is not a mention", "x bob@example.com", `<p>x <a href="mailto:bob@example.com">bob@example.com</a></p>`, nil},
		{"word before at", "abc@Bob", "<p>abc@Bob</p>", nil},
		{"escaped at", `\@Bob`, "<p>@Bob</p>", nil},
		{"in emphasis", "_@Bob_ **@Alice**", "<p><em>" + bob + "</em> <strong>" + alice + "</strong></p>", []int64{3, 1}},
		{"in code span", "`@Bob`", "<p><code>@Bob</code></p>", nil},
		{"in fenced code", "```\n@Bob\n```", "<pre><code>@Bob\n</code></pre>", nil},
		{"in indented code", "    @Bob", "<pre><code>@Bob\n</code></pre>", nil},
		{"in link text", "[@Bob](https://example.com)", `<p><a href="https://example.com" rel="nofollow noopener" target="_blank">@Bob</a></p>`, nil},
		{"in reference link text", "[@bob][1]\n\n[1]: /x", `<p><a href="/x">@bob</a></p>`, nil},
		{"in image description", "![@Bob](https://example.com/b.png)", `<p><a href="https://example.com/b.png" rel="nofollow noopener" target="_blank">@Bob</a></p>`, nil},
		{"in URL", "see https://example.com/@Bob", `<p>see <a href="https://example.com/@Bob" rel="nofollow noopener" target="_blank">https://example.com/@Bob</a></p>`, nil},
		{"bracket that is not a link", "[@Bob] hi", "<p>[" + bob + "] hi</p>", []int64{3}},
		{"in heading, list and quote", "# @Bob\n- @Alice\n> @Bob", "<h1>" + bob + "</h1>\n<ul>\n<li>" + alice + "</li>\n</ul>\n<blockquote>\n<p>" + bob + "</p>\n</blockquote>", []int64{3, 1}},
		{"dedup in order of first appearance", "@Bob @Alice @bob @Alice Smith", "<p>" + bob + " " + alice + " " + bob + " " + aliceSmith + "</p>", []int64{3, 1, 2}},
		{"end of line then hard wrap", "@Bob\nhi", "<p>" + bob + "<br>\nhi</p>", []int64{3}},
		{"unicode name, folded", "@ZOË KRAUS!", "<p>" + mentionHTML(4, "Zoë Kraus") + "!</p>", []int64{4}},
		{"name with markup is escaped", "@<img src=x onerror=alert(1)>", "<p>" + mentionHTML(5, "&lt;img src=x onerror=alert(1)&gt;") + "</p>", []int64{5}},
		{"name with quotes is escaped", `@Eve" onmouseover="alert(1)`, "<p>" + mentionHTML(6, "Eve&#34; onmouseover=&#34;alert(1)") + "</p>", []int64{6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ids := r.Render(tt.in, members)
			if got != tt.want {
				t.Errorf("Render(%q)\n got: %q\nwant: %q", tt.in, got, tt.want)
			}
			if !slices.Equal(ids, tt.ids) {
				t.Errorf("Render(%q) mentions = %v, want %v", tt.in, ids, tt.ids)
			}
		})
	}
}

func TestRenderMentionsEdgeCases(t *testing.T) {
	r := New()
	t.Run("no members", func(t *testing.T) {
		got, ids := r.Render("@Bob", nil)
		if got != "<p>@Bob</p>" || ids != nil {
			t.Errorf("got %q %v", got, ids)
		}
	})
	t.Run("same name twice: first listed wins", func(t *testing.T) {
		_, ids := r.Render("@Sam", []Mentionable{{ID: 8, Name: "Sam"}, {ID: 9, Name: "sam"}})
		if !slices.Equal(ids, []int64{8}) {
			t.Errorf("mentions = %v, want [8]", ids)
		}
	})
	t.Run("Kelvin sign folds to k", func(t *testing.T) {
		_, ids := r.Render("@\u212Aim", []Mentionable{{ID: 8, Name: "Kim"}})
		if !slices.Equal(ids, []int64{8}) {
			t.Errorf("mentions = %v, want [8]", ids)
		}
	})
	t.Run("many members", func(t *testing.T) {
		var ms []Mentionable
		for i := range 5000 {
			ms = append(ms, Mentionable{ID: int64(i + 1), Name: fmt.Sprintf("user %d", i)})
		}
		_, ids := r.Render("@user 4999 and @User 12 and @user 1", ms)
		if !slices.Equal(ids, []int64{5000, 13, 2}) {
			t.Errorf("mentions = %v, want [5000 13 2]", ids)
		}
	})
}

// xssCases are bodies that try to get script into the page. They are also
// the fuzzer's seed corpus.
var xssCases = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=//evil.example/x.js></SCRIPT>`,
	`<img src=x onerror=alert(1)>`,
	`<svg onload=alert(1)>`,
	`<svg><script>alert(1)</script></svg>`,
	`<iframe src="https://evil.example"></iframe>`,
	`<style>body{display:none}</style>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<form action="https://evil.example"><input name=p></form>`,
	`<details open ontoggle=alert(1)>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`[x](javascript:alert(1))`,
	`[x](JAVASCRIPT:alert(1))`,
	`[x](  javascript:alert(1)  )`,
	`[x](<javascript:alert(1)>)`,
	`[x](&#106;avascript:alert(1))`,
	`[x](jav&#x61;script:alert(1))`,
	`[x](java&#x09;script:alert(1))`,
	`[x](javascript&colon;alert(1))`,
	`[x](%6A%61vascript:alert(1))`,
	`[x](vbscript:msgbox(1))`,
	`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`,
	`![x](data:image/png;base64,iVBORw0KGgo=)`,
	`![x](x" onerror="alert(1))`,
	`[x](https://ok.example/" onmouseover="alert(1))`,
	`[x](https://ok.example "t\" onmouseover=\"alert(1)")`,
	"[x]: javascript:alert(1)\n\n[x]",
	`<javascript:alert(1)>`,
	`javascript:alert(1)`,
	`https://ok.example/"><script>alert(1)</script>`,
	`www.ok.example/?q="onmouseover=alert(1)//`,
	`&lt;script&gt;alert(1)&lt;/script&gt;`,
	"`<script>alert(1)</script>`",
	"```html\n<script>alert(1)</script>\n```",
	"```\" onmouseover=\"alert(1)\n```",
	`[@Bob](javascript:alert(1))`,
	`@<img src=x onerror=alert(1)>`,
	`@Eve" onmouseover="alert(1)`,
	"<!-- <script>alert(1)</script> -->",
	"<![CDATA[<script>alert(1)</script>]]>",
}

func TestRenderXSS(t *testing.T) {
	r := New()
	for _, in := range xssCases {
		t.Run(in, func(t *testing.T) {
			got, ids := r.Render(in, members)
			if err := checkSafe(got, ids, members); err != nil {
				t.Errorf("Render(%q) = %q: %v", in, got, err)
			}
		})
	}
}

// checkSafe is the property every rendered message must have, whatever its
// body. It parses the HTML the way a browser would, so text that merely reads
// like markup ("set onload=1", an escaped "&lt;script") is not a failure
// while any real element or attribute is.
func checkSafe(out string, ids []int64, room []Mentionable) error {
	lower := strings.ToLower(out)
	for _, bad := range []string{"<script", "<iframe", "<style", "<object", "<embed", "<form", "<svg", "<math"} {
		if strings.Contains(lower, bad) {
			return fmt.Errorf("contains %s", bad)
		}
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if errors.Is(z.Err(), io.EOF) {
				break
			}
			return z.Err()
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "style", "iframe", "frame", "object", "embed", "form", "input", "button",
			"textarea", "select", "base", "link", "meta", "svg", "math", "template":
			return fmt.Errorf("element <%s>", tok.Data)
		}
		var external bool
		attrs := map[string]string{}
		for _, a := range tok.Attr {
			attrs[a.Key] = a.Val
			switch {
			case strings.HasPrefix(a.Key, "on"):
				return fmt.Errorf("event handler %s=%q", a.Key, a.Val)
			case a.Key == "style":
				return fmt.Errorf("style=%q", a.Val)
			case a.Key == "href" || a.Key == "src" || a.Key == "cite" || a.Key == "srcset":
				u, err := checkURL(a.Val)
				if err != nil {
					return fmt.Errorf("%s=%q: %v", a.Key, a.Val, err)
				}
				external = external || (a.Key == "href" && u.Host != "")
			case a.Key == "class" && a.Val != "mention" && !strings.HasPrefix(a.Val, "language-") &&
				!(tok.Data == "pre" && a.Val == "chroma") && !(tok.Data == "span" && slices.Contains(tokenClasses(), a.Val)):
				return fmt.Errorf("class=%q", a.Val)
			}
		}
		if tok.Data == "a" && external {
			if attrs["target"] != "_blank" || !strings.Contains(attrs["rel"], "noopener") || !strings.Contains(attrs["rel"], "nofollow") {
				return fmt.Errorf("external link without rel/target: %s", tok)
			}
		}
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			return fmt.Errorf("mention %d listed twice", id)
		}
		seen[id] = true
		if !slices.ContainsFunc(room, func(m Mentionable) bool { return m.ID == id && m.Name != "" }) {
			return fmt.Errorf("mention %d is not a member", id)
		}
	}
	return nil
}

// checkURL accepts a URL only if it is relative or http, https or mailto,
// after the clean-up browsers apply before they look at the scheme (they
// drop tabs and newlines anywhere and control characters and spaces at the
// ends, so "java\tscript:" is javascript:).
func checkURL(raw string) (*url.URL, error) {
	clean := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, raw)
	clean = strings.TrimFunc(clean, func(r rune) bool { return r <= ' ' })
	lower := strings.ToLower(clean)
	for _, scheme := range []string{"javascript:", "vbscript:", "data:", "file:"} {
		if strings.HasPrefix(lower, scheme) {
			return nil, fmt.Errorf("%s URL", scheme)
		}
	}
	u, err := url.Parse(clean)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "", "http", "https", "mailto":
		return u, nil
	}
	return nil, fmt.Errorf("scheme %q", u.Scheme)
}

func TestRenderConcurrent(t *testing.T) {
	r := New()
	want, _ := r.Render("hi @Bob see https://example.com", members)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if got, _ := r.Render("hi @Bob see https://example.com", members); got != want {
					t.Errorf("got %q, want %q", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzRender checks that no body renders unsafe HTML and that mentions only
// ever name members. The second input is an extra member's name, so names
// are fuzzed too: they are user-chosen and reach the HTML.
func FuzzRender(f *testing.F) {
	for _, in := range xssCases {
		f.Add(in, "Carol")
	}
	for _, in := range []string{
		"hello **world**",
		"@Alice Smith can you look at https://example.com/pr/1?",
		"- [x] one\n- [ ] two\n\n| a | b |\n|---|---|\n| 1 | 2 |",
		"```go\nfunc main() {}\n```",
		"> @bob said\n> _hi_ ~~there~~",
		"👍🏽 🇳🇿 👩‍💻",
		"[a](b \"c\") ![d](e) <f@g.h> <http://i.j>",
	} {
		f.Add(in, "Carol")
	}
	f.Add("@<script>alert(1)</script>", "<script>alert(1)</script>")
	f.Add(`@" onclick="x`, `" onclick="x`)
	f.Add("[@javascript:x](y) @javascript:x", "javascript:x")
	r := New()
	f.Fuzz(func(t *testing.T, body, name string) {
		room := append(slices.Clip(members), Mentionable{ID: 99, Name: name})
		out, ids := r.Render(body, room)
		if err := checkSafe(out, ids, room); err != nil {
			t.Fatalf("Render(%q) with member %q = %q: %v", body, name, out, err)
		}
		_ = EmojiOnly(body)
	})
}

func BenchmarkRender(b *testing.B) {
	r := New()
	// About 200 bytes, a typical chat line with one mention and one link.
	body := "@Alice Smith the deploy for **v2.3** is done, notes at https://example.com/releases/v2.3 " +
		"— can you check the `payments` dashboard before lunch? Ping me if anything looks off 🙏"
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Render(body, members)
	}
}

func BenchmarkRenderParallel(b *testing.B) {
	r := New()
	body := "@Alice Smith the deploy for **v2.3** is done, notes at https://example.com/releases/v2.3 " +
		"— can you check the `payments` dashboard before lunch? Ping me if anything looks off 🙏"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Render(body, members)
		}
	})
}

// TestCheckSafe keeps the fuzz oracle honest: it must reject what it exists
// to catch and accept ordinary output.
func TestCheckSafe(t *testing.T) {
	bad := []string{
		`<script>alert(1)</script>`,
		`<SCRIPT>alert(1)</SCRIPT>`,
		`<img src=x onerror=alert(1)>`,
		`<p ONCLICK="x">`,
		`<a href="javascript:alert(1)">x</a>`,
		`<a href=" JaVaScRiPt:alert(1)">x</a>`,
		"<a href=\"java\tscript:alert(1)\">x</a>",
		`<a href="vbscript:x">x</a>`,
		`<img src="data:image/png;base64,AAAA">`,
		`<a href="https://evil.example">x</a>`,
		`<a href="//evil.example" target="_blank">x</a>`,
		`<input type=checkbox>`,
		`<p style="color:red">`,
		`<span class="evil">`,
	}
	for _, s := range bad {
		if checkSafe(s, nil, members) == nil {
			t.Errorf("checkSafe(%q) = nil, want an error", s)
		}
	}
	if checkSafe("", []int64{99}, members) == nil {
		t.Error("checkSafe accepted a mention of a non-member")
	}
	if checkSafe("", []int64{3, 3}, members) == nil {
		t.Error("checkSafe accepted a duplicate mention")
	}
	good := []string{
		`<p>set onload=1 and &lt;script&gt; javascript:alert(1)</p>`,
		`<a href="https://ok.example" rel="nofollow noopener" target="_blank">x</a>`,
		`<a class="mention" href="/users/3" data-user-id="3">@Bob</a>`,
		`<a href="mailto:a@b.c">a</a>`,
		`<pre><code class="language-go">x</code></pre>`,
	}
	for _, s := range good {
		if err := checkSafe(s, []int64{3}, members); err != nil {
			t.Errorf("checkSafe(%q) = %v, want nil", s, err)
		}
	}
}

// Bodies built to hit goldmark's quadratic delimiter matching are shown as
// plain text instead of taking seconds; fenced code does not count.
func TestPathologicalBodiesArePlain(t *testing.T) {
	r := New()
	for _, p := range []string{"*a_", "[a](", "> - ", "~~a"} {
		body := strings.Repeat(p, 64<<10/len(p))
		got, _ := r.Render(body, nil)
		if !strings.HasPrefix(got, "<p>") || strings.Contains(got, "<em>") || strings.Contains(got, "<blockquote>") {
			t.Errorf("%q×%d rendered as markup: %.80s", p, len(body)/len(p), got)
		}
		if strings.Contains(got, "<script") {
			t.Fatal("plain text not escaped")
		}
	}
	code := "```\n" + strings.Repeat("p->next = *q[i];\n", 1000) + "```\n**after**"
	if got, _ := r.Render(code, nil); !strings.Contains(got, "<pre><code>") || !strings.Contains(got, "<strong>after</strong>") {
		t.Errorf("a long code paste lost its formatting: %.120s", got)
	}
	if got, _ := r.Render("<b>x</b>\n"+strings.Repeat("*", 3000), nil); !strings.HasPrefix(got, "<p>&lt;b&gt;x&lt;/b&gt;<br>") {
		t.Errorf("plain fallback: %.80s", got)
	}
}

// BenchmarkRenderNearCaps renders 64 KiB bodies holding just under the
// markup caps of tooComplex: the slowest a body that still gets Markdown
// can be.
func BenchmarkRenderNearCaps(b *testing.B) {
	r := New()
	for _, c := range []struct {
		name, unit string
		n          int
	}{
		{"emphasis", "*a_", maxMarkup / 2},
		{"links", "[a](", maxLinks},
		{"quotes", "> - ", maxMarkup},
		{"mixed", "_a*b[c]>", maxMarkup / 5},
	} {
		body := strings.Repeat(c.unit, c.n)
		body += strings.Repeat("x", 64<<10-len(body))
		if tooComplex(body) {
			b.Fatalf("%s: the body is past the caps", c.name)
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				r.Render(body, nil)
			}
		})
	}
}
