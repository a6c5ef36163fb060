package ui

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/campfire-go/campfire/internal/wire"
)

//go:embed templates
var templateFS embed.FS

// pages holds one template set per page: the shared layout and partials
// plus the page's own file.
type pages struct {
	byName map[string]*template.Template
}

func parsePages(a *assets) (*pages, error) {
	funcs := template.FuncMap{
		"asset":          a.url,
		"modulePreloads": a.modulePreloads,
		"icon": func(name string) (template.HTML, error) {
			u, err := a.url("icons.svg")
			if err != nil {
				return "", err
			}
			// name is a constant in our templates, never user data.
			return template.HTML(`<svg class="icon icon-` + template.HTMLEscapeString(name) +
				`" aria-hidden="true" focusable="false"><use href="` + u + `#` +
				template.HTMLEscapeString(name) + `"></use></svg>`), nil
		},
		"avatar":   wire.AvatarURL,
		"roomPath": func(id int64) string { return "/rooms/" + strconv.FormatInt(id, 10) },
		"userPath": func(id int64) string { return "/users/" + strconv.FormatInt(id, 10) },
		// Blank items fill the <template>s that app.js clones.
		"blankRoomLink": func(direct bool) roomLink {
			if direct {
				return roomLink{Direct: true, Avatars: []int64{0}}
			}
			return roomLink{Closed: true} // app.js swaps the lock for "#" in open rooms
		},
		"blankBoost": func() boostView { return boostView{Mine: true} },
		"permalink": func(roomID, messageID int64) string {
			return "/rooms/" + strconv.FormatInt(roomID, 10) + "/@" + strconv.FormatInt(messageID, 10)
		},
		"pictureForm": newPictureForm, // the avatar and logo upload form
	}
	// Partials (templates/partials) define the layout and shared pieces;
	// each other file is a page that defines "main".
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		return nil, err
	}
	var pageFiles []string
	for _, e := range entries {
		if !e.IsDir() {
			pageFiles = append(pageFiles, e.Name())
		}
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, f := range pageFiles {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFS, "templates/"+f); err != nil {
			return nil, err
		}
		p.byName[strings.TrimSuffix(f, ".html")] = t
	}
	return p, nil
}

// render executes a page into a buffer first, so a template error is a
// clean 500 rather than half a page.
func (u *UI) render(w http.ResponseWriter, status int, page string, data any) {
	t, ok := u.pages.byName[page]
	if !ok {
		u.log.Error("no such page template", "page", page)
		http.Error(w, "Something went wrong", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		u.log.Error("rendering page", "page", page, "err", err)
		http.Error(w, "Something went wrong", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	writePage(w, status, buf.Bytes())
}
