package render

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite internal/ui/static/highlight.css")

func TestHighlightClasses(t *testing.T) {
	r := New()
	r.highlightTime = time.Hour
	got, _ := r.Render("```python\ndef f(x):\n    return \"s\"  # c\n```", nil)
	for _, want := range []string{
		`<pre class="chroma"><code class="language-python">`,
		`<span class="k">def</span>`,
		`<span class="nf">f</span>`,
		`<span class="s2">&#34;s&#34;</span>`,
		`<span class="c1"># c</span>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
	if strings.Contains(got, "style=") {
		t.Errorf("inline style in %s", got)
	}
	// Tabs are kept as tabs (highlight.css sets tab-size: 4).
	if got, _ := r.Render("```go\nfunc f() {\n\treturn\n}\n```", nil); !strings.Contains(got, "\n\t<span") {
		t.Errorf("tab lost: %q", got)
	}
}

// Hostile text inside a highlighted block is escaped by the renderer and
// cannot become markup, whatever the lexer makes of it.
func TestHighlightXSS(t *testing.T) {
	r := New()
	for _, lang := range []string{"html", "js", "go", "xml", "markdown", "svg"} {
		for _, payload := range []string{
			`<script>alert(1)</script>`,
			`<img src=x onerror=alert(1)>`,
			`</code></pre><script>alert(1)</script>`,
			`<span class="k" style="color:red" onclick="x">`,
			`"><svg onload=alert(1)>`,
			"```\n<script>alert(1)</script>",
		} {
			body := "```" + lang + "\n" + payload + "\n```"
			got, _ := r.Render(body, nil)
			if err := checkSafe(got, nil, members); err != nil {
				t.Errorf("%s %q: %v\n%s", lang, payload, err, got)
			}
			if strings.Contains(got, "<script") || strings.Contains(got, "<img") || strings.Contains(got, "<svg") {
				t.Errorf("%s %q: markup got through: %s", lang, payload, got)
			}
		}
	}
	// The language itself is user input.
	got, _ := r.Render("```go\"><script>alert(1)</script>\nx\n```", nil)
	if strings.Contains(got, "<script") {
		t.Errorf("language not escaped: %s", got)
	}
}

// The sanitizer keeps chroma's classes on span and pre, and nothing else.
func TestSanitizerTokenClasses(t *testing.T) {
	p := newPolicy()
	for in, want := range map[string]string{
		`<span class="k">x</span>`:                    `<span class="k">x</span>`,
		`<span class="s2">x</span>`:                   `<span class="s2">x</span>`,
		`<span class="mention">x</span>`:              `<span class="mention">x</span>`,
		`<span class="evil">x</span>`:                 `<span>x</span>`,
		`<span class="k nf">x</span>`:                 `<span>x</span>`,
		`<span class="bg">x</span>`:                   `<span>x</span>`,
		`<pre class="chroma">x</pre>`:                 `<pre class="chroma">x</pre>`,
		`<pre class="k">x</pre>`:                      `<pre>x</pre>`,
		`<code class="k">x</code>`:                    `<code>x</code>`,
		`<a class="k" href="/x">x</a>`:                `<a href="/x">x</a>`,
		`<span class="k" style="color:red">x</span>`:  `<span class="k">x</span>`,
		`<span class="k" onclick="alert(1)">x</span>`: `<span class="k">x</span>`,
	} {
		if got := p.Sanitize(in); got != want {
			t.Errorf("Sanitize(%s) = %s, want %s", in, got, want)
		}
	}
}

// Past maxHighlight the remaining blocks are plain; within it, coloured.
func TestHighlightBudget(t *testing.T) {
	r := New()
	r.highlightTime = time.Hour
	block := "```go\n" + strings.Repeat("x := 1\n", maxHighlight/7/2+1) + "```\n\n"
	got, _ := r.Render(block+block+block, nil)
	if n := strings.Count(got, `<pre class="chroma">`); n != 1 {
		t.Errorf("%d highlighted blocks, want 1", n)
	}
	if n := strings.Count(got, `<pre><code class="language-go">`); n != 2 {
		t.Errorf("%d plain blocks, want 2", n)
	}
}

// A lexer that runs out of time leaves the block plain.
func TestHighlightDeadline(t *testing.T) {
	r := New()
	r.highlightTime = -time.Second
	got, _ := r.Render("```go\nx := 1\n```", nil)
	if got != "<pre><code class=\"language-go\">x := 1\n</code></pre>" {
		t.Errorf("got %s", got)
	}
}

// The committed stylesheet is what HighlightCSS writes.
func TestHighlightCSSCommitted(t *testing.T) {
	var buf bytes.Buffer
	if err := HighlightCSS(&buf); err != nil {
		t.Fatal(err)
	}
	const path = "../ui/static/highlight.css"
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s is stale; regenerate with -update", path)
	}
	for _, want := range []string{".chroma .k {", "prefers-color-scheme: dark", "tab-size: 4"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("stylesheet lacks %q", want)
		}
	}
}

// BenchmarkRenderCode renders Go pastes: highlighted up to maxHighlight,
// plain past it.
func BenchmarkRenderCode(b *testing.B) {
	r := New()
	line := "\tif err := s.store.Put(ctx, \"key/\"+name, r, ct); err != nil { return fmt.Errorf(\"put %q: %w\", name, err) } // x\n"
	for _, c := range []struct {
		name string
		size int
	}{{"go-4KiB", 4 << 10}, {"go-8KiB", 8 << 10}, {"go-15KiB", 15 << 10}, {"go-60KiB-plain", 60 << 10}} {
		body := "```go\n" + strings.Repeat(line, c.size/len(line)) + "```"
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			// CPU time as well as wall time: on a shared machine the
			// wall time mostly measures the neighbours.
			start := processCPU()
			for b.Loop() {
				r.Render(body, nil)
			}
			b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// Every class coloured in light mode has its own dark rule, readable
// (contrast ≥ 4.5:1) on the dark code background.
func TestHighlightCSSDarkReadable(t *testing.T) {
	var buf bytes.Buffer
	if err := HighlightCSS(&buf); err != nil {
		t.Fatal(err)
	}
	light, dark, ok := strings.Cut(buf.String(), "@media (prefers-color-scheme: dark)")
	if !ok {
		t.Fatal("no dark section")
	}
	colours := func(css string) map[string]string {
		m := map[string]string{}
		for _, line := range strings.Split(css, "\n") {
			sel, rest, ok := strings.Cut(strings.TrimSpace(line), " { ")
			if !ok {
				continue
			}
			for _, decl := range strings.Split(rest, ";") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(decl), "color: "); ok {
					m[sel] = v
				}
			}
		}
		return m
	}
	lightCols, darkCols := colours(light), colours(dark)
	bg := "#0d1117"
	if _, v, ok := strings.Cut(dark, ".chroma { "); ok {
		if _, after, ok := strings.Cut(v, "background-color: "); ok {
			bg = after[:7]
		}
	}
	for sel := range lightCols {
		c, ok := darkCols[sel]
		if !ok {
			t.Errorf("%s has no dark colour", sel)
			continue
		}
		// bg is chroma's; #26241f is the page's dark --code-bg (style.css).
		for _, b := range []string{bg, "#26241f"} {
			if r := contrast(c, b); r < 4.5 {
				t.Errorf("%s: %s on %s contrast %.2f < 4.5", sel, c, b, r)
			}
		}
	}
}

func contrast(a, b string) float64 {
	lum := func(hex string) float64 {
		var rgb [3]float64
		for i := range rgb {
			var v int
			fmt.Sscanf(hex[1+2*i:3+2*i], "%02x", &v)
			c := float64(v) / 255
			if c <= 0.03928 {
				c /= 12.92
			} else {
				c = math.Pow((c+0.055)/1.055, 2.4)
			}
			rgb[i] = c
		}
		return 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
	}
	la, lb := lum(a), lum(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
