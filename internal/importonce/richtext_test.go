package importonce

import (
	"strings"
	"testing"

	"github.com/campfire-go/campfire/internal/render"
)

func TestMarkdown(t *testing.T) {
	names := map[int64]string{2: "Bea Member", 4: "Deploy Bot"}
	name := func(id int64) string { return names[id] }
	mention := func(sg string) string {
		return `<action-text-attachment sgid="` + sg + `" content-type="application/vnd.campfire.mention"></action-text-attachment>`
	}
	for _, c := range []struct{ name, html, want string }{
		{"plain text", "Deployed v1", "Deployed v1"},
		{"divs are lines", "<div>one</div><div>two</div>", "one\ntwo"},
		{"an empty div is a blank line", "<div>one</div><div><br></div><div>two</div>", "one\n\ntwo"},
		{"spaces collapse", "<div>a \n\t  b</div>", "a b"},
		{"bold with edge spaces", "<div>x<strong> bold </strong>y</div>", "x **bold** y"},
		{"emphasis across a break", "<div><em>a<br>b</em></div>", "*a*\n*b*"},
		{"nested emphasis", "<div><strong>very <em>much</em></strong></div>", "**very *much***"},
		{"autolinked link", `<div><a href="https://example.com">https://example.com</a></div>`, "<https://example.com>"},
		{"javascript link is its text", `<div><a href="javascript:alert(1)">click</a></div>`, "click"},
		{"mailto", `<div><a href="mailto:a@example.com">mail me</a></div>`, "[mail me](<mailto:a@example.com>)"},
		{"code with a backtick", "<div><code>a`b</code></div>", "``a`b``"},
		{"pre with backticks", "<pre>```\ncode\n```</pre>", "````\n```\ncode\n```\n````"},
		{"ordered list", "<ol><li>first</li><li>second</li></ol>", "1. first\n2. second"},
		{"paragraph then list", "<div>intro</div><ul><li>a</li></ul><div>outro</div>", "intro\n\n- a\n\noutro"},
		{"quote with lines", "<blockquote>one<br>two</blockquote>", "> one\n> two"},
		{"heading", "<h1>Title</h1>", "# Title"},
		{"line-start markers escaped", "<div>- not a list</div><div>&gt; not a quote</div><div>2) not a list</div>", `\- not a list` + "\n" + `\> not a quote` + "\n" + `2\) not a list`},
		{"markdown characters escaped", "<div>a*b_c [d] ~e~ \\f</div>", `a\*b\_c \[d\] \~e\~ \\f`},
		{"urls left whole", "<div>see https://example.com/a_b*c and www.x.com/_y_</div>", "see https://example.com/a_b*c and www.x.com/_y_"},
		{"typed html stays text", "<div>&lt;script&gt;alert(1)&lt;/script&gt;</div>", "<script>alert(1)</script>"},
		{"script content dropped", "<div>a<script>alert(1)</script>b</div>", "ab"},
		{"unknown tags are their text", "<div><marquee>hi</marquee> <custom-thing>there</custom-thing></div>", "hi there"},
		{"mention", "<div>hey " + mention("eyJfcmFpbHMiOnsiZGF0YSI6ImdpZDovL2NhbXBmaXJlL1VzZXIvMj9leHBpcmVzX2luIiwicHVyIjoiYXR0YWNoYWJsZSJ9fQ==--abc") + "!</div>", "hey @Bea Member!"},
		{"mention of someone unknown", `<div>hey <action-text-attachment content-type="application/vnd.campfire.mention" content="&lt;span&gt;@Zed_Z&lt;/span&gt;"></action-text-attachment></div>`, `hey Zed\_Z`},
		{"mention by gid", `<div><action-text-attachment gid="gid://campfire/User/4" content-type="application/vnd.campfire.mention"></action-text-attachment> go</div>`, "@Deploy Bot go"},
		{"link preview", `<div>look</div><action-text-attachment content-type="application/vnd.actiontext.opengraph-embed" href="https://example.com/post" title="Post"></action-text-attachment>`, "look\n<https://example.com/post>"},
		{"file in rich text", `<action-text-attachment content-type="image/png" filename="cat.png" url="https://x.example/cat.png"></action-text-attachment>`, "cat.png"},
		{"image", `<div><img src="https://x.example/i.png" alt="an image"></div>`, "[an image](<https://x.example/i.png>)"},
		{"only whitespace", "<div> <br> </div>", ""},
		{"broken html", "<div><strong>unclosed <em>tags", "**unclosed *tags***"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := markdown(c.html, name); got != c.want {
				t.Errorf("markdown(%q)\n got %q\nwant %q", c.html, got, c.want)
			}
		})
	}
}

// TestMarkdownRendersAsTyped: what markdown writes renders to the text and
// formatting Campfire showed.
func TestMarkdownRendersAsTyped(t *testing.T) {
	r := render.New()
	for html, want := range map[string]string{
		"<div>a*b_c [d] 1. x</div>":           "<p>a*b_c [d] 1. x</p>",
		"<div>2. not a list</div>":            "<p>2. not a list</p>",
		"<div># not a heading</div>":          "<p># not a heading</p>",
		"<div>&lt;b&gt;typed&lt;/b&gt;</div>": "<p>&lt;b&gt;typed&lt;/b&gt;</p>",
	} {
		got, _ := r.Render(markdown(html, func(int64) string { return "" }), nil)
		if strings.TrimSpace(got) != want {
			t.Errorf("%s rendered %q, want %q", html, got, want)
		}
	}
}
