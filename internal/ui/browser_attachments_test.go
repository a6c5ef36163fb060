package ui_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAttachments: a file chosen in Ada's window appears in Bea's as
// a thumbnail, live; the lightbox opens on it and Escape closes it with
// focus back on the thumbnail; a file dropped on the room appears as a
// download link.
func TestBrowserAttachments(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	ada := openTab(t, srv, "Ada")
	bea := openTab(t, srv, "Bea")

	ada.open("/")
	ada.waitFor(`location.pathname === "/first_run"`, 5*time.Second)
	ada.fill(map[string]string{
		`input[name=account_name]`: "Acme", `input[name=name]`: "Ada Admin",
		`input[name=email]`: "ada@example.com", `input[name=password]`: password,
	}, `button[type=submit]`)
	ada.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)
	ada.open("/account")
	joinURL := eval[string](ada, `document.querySelector("#join-url").value`)
	bea.run(chromedp.Navigate(joinURL))
	bea.fill(map[string]string{`input[name=name]`: "Bea Member", `input[name=email]`: "bea@example.com",
		`input[name=password]`: password}, `button[type=submit]`)
	bea.waitFor(`document.querySelector(".room__name")?.textContent === "All Talk"`, 5*time.Second)
	ada.open("/rooms/1")
	ada.waitFor(`!!document.querySelector("#composer-file")`, 5*time.Second)

	// A picture chosen with the file button.
	img := image.NewRGBA(image.Rect(0, 0, 1600, 900))
	for y := range 900 {
		for x := range 1600 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "sunset.png")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	ada.run(chromedp.SetUploadFiles(chromedp.CSS("#composer-file"), []string{file}))
	thumb := `document.querySelector('#message-list .attachment__image:not([hidden]) img[src$="/attachment/thumbnail"]')`
	bea.waitFor(thumb+`?.complete && `+thumb+`.naturalWidth === 1200 && `+thumb+`.alt === "sunset.png"`, 15*time.Second)
	ada.waitFor(thumb+`?.naturalWidth === 1200 && document.querySelector("#uploads").children.length === 0`, 15*time.Second)

	// The lightbox: opens on the full image, Escape closes it, focus returns.
	bea.run(chromedp.Click(chromedp.CSS(`#message-list .attachment__image:not([hidden])`)))
	bea.waitFor(`document.querySelector("dialog.lightbox")?.open && document.querySelector(".lightbox__image").naturalWidth === 1600`, 5*time.Second)
	bea.run(key("Escape", 27))
	bea.waitFor(`!document.querySelector("dialog.lightbox").open && document.activeElement?.classList.contains("attachment__image")`, 2*time.Second)

	// A file dropped on the room: shown as its name and size, for download.
	eval[bool](ada, `(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["minutes of the meeting\n"], "notes.txt", { type: "text/plain" }));
		const room = document.getElementById("room");
		for (const type of ["dragenter", "dragover", "drop"]) {
			room.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
		}
		return true;
	})()`)
	file2 := `[...document.querySelectorAll("#message-list .attachment__file:not([hidden])")].find(a => a.querySelector(".attachment__name").textContent === "notes.txt")`
	bea.waitFor(file2+`?.querySelector(".attachment__size").textContent === "23 bytes" && `+file2+`.getAttribute("href").endsWith("/attachment")`, 10*time.Second)
	// The first paint draws both the same way.
	bea.open("/rooms/1")
	bea.waitFor(thumb+`?.naturalWidth === 1200 && `+file2, 5*time.Second)
}
