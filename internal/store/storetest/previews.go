package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

// testPreviews: a link preview is stored, read back on every read path,
// replaced, moves updated_at, and goes with its message.
func testPreviews(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	m, _ := w.post(t, w.allTalk, bob, "see https://example.com/a")
	other, _ := w.post(t, w.allTalk, bob, "no link")
	if m.Preview != nil {
		t.Fatalf("a new message has preview %+v", m.Preview)
	}
	p := chat.LinkPreview{MessageID: m.ID, URL: "https://example.com/a", Title: "Example — <A>",
		Description: "It's an example\x00", SiteName: "Example", ImageKey: "previews/1-abc", ImageType: "image/png"}
	at := m.CreatedAt.Add(time.Second)
	got, err := s.SetLinkPreview(ctx(t), p, at)
	must(t, err)
	check := func(what string, m chat.Message, want *chat.LinkPreview) {
		t.Helper()
		if (m.Preview == nil) != (want == nil) {
			t.Fatalf("%s: preview %+v, want %+v", what, m.Preview, want)
		}
		if want == nil {
			return
		}
		g := *m.Preview
		if g.CreatedAt.IsZero() {
			t.Fatalf("%s: no created_at", what)
		}
		g.CreatedAt = time.Time{}
		w := *want
		// PostgreSQL cannot store NUL; it is replaced, never refused.
		if g.Description != w.Description && g.Description != "It's an example\uFFFD" {
			t.Fatalf("%s: description %q", what, g.Description)
		}
		g.Description = w.Description
		if g != w {
			t.Fatalf("%s:\n got %+v\nwant %+v", what, g, w)
		}
	}
	check("SetLinkPreview", got, &p)
	if !got.UpdatedAt.After(m.UpdatedAt) {
		t.Fatalf("updated_at %v did not move past %v", got.UpdatedAt, m.UpdatedAt)
	}
	one, err := s.Message(ctx(t), m.ID)
	must(t, err)
	check("Message", one, &p)
	page, err := s.Messages(ctx(t), w.allTalk.ID, store.Page{Limit: 10})
	must(t, err)
	for _, x := range page {
		switch x.ID {
		case m.ID:
			check("Messages", x, &p)
		case other.ID:
			check("Messages (no link)", x, nil)
		}
	}
	since, err := s.MessagesUpdatedSince(ctx(t), w.allTalk.ID, m.CreatedAt, 10)
	must(t, err)
	if len(since) != 1 || since[0].ID != m.ID {
		t.Fatalf("updated since: %v", messageIDs(since))
	}
	check("MessagesUpdatedSince", since[0], &p)

	// Replaced whole, not merged.
	p2 := chat.LinkPreview{MessageID: m.ID, URL: "https://example.org/b", Title: "B"}
	got, err = s.SetLinkPreview(ctx(t), p2, at.Add(time.Second))
	must(t, err)
	check("replaced", got, &p2)

	got, err = s.DeleteLinkPreview(ctx(t), m.ID, at.Add(2*time.Second))
	must(t, err)
	check("deleted", got, nil)
	_, err = s.DeleteLinkPreview(ctx(t), m.ID, time.Time{})
	wantErr(t, err, chat.ErrNotFound, "deleting a missing preview")

	_, err = s.SetLinkPreview(ctx(t), chat.LinkPreview{MessageID: 1 << 40, URL: "https://x.example"}, time.Time{})
	wantErr(t, err, chat.ErrNotFound, "preview of a missing message")

	// Goes with its message.
	_, err = s.SetLinkPreview(ctx(t), p, time.Time{})
	must(t, err)
	must(t, s.DeleteMessage(ctx(t), m.ID))
	_, err = s.DeleteLinkPreview(ctx(t), m.ID, time.Time{})
	if !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("preview outlived its message: %v", err)
	}
}

// testAvatars: avatar and logo keys are stored and read on every path that
// returns a user or the account.
func testAvatars(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	if bob.AvatarKey != "" {
		t.Fatalf("new user has avatar %q", bob.AvatarKey)
	}
	u, err := s.SetUserAvatar(ctx(t), bob.ID, "avatars/2-abc.png", time.Time{})
	must(t, err)
	if u.AvatarKey != "avatars/2-abc.png" || u.ID != bob.ID || u.Name != "Bob" {
		t.Fatalf("SetUserAvatar returned %+v", u)
	}
	u, err = s.User(ctx(t), bob.ID)
	must(t, err)
	if u.AvatarKey != "avatars/2-abc.png" {
		t.Fatalf("User: avatar %q", u.AvatarKey)
	}
	m, _ := w.post(t, w.allTalk, bob, "hi")
	if m.Creator.AvatarKey != "avatars/2-abc.png" {
		t.Fatalf("posted message's creator avatar %q", m.Creator.AvatarKey)
	}
	m, err = s.Message(ctx(t), m.ID)
	must(t, err)
	if m.Creator.AvatarKey != "avatars/2-abc.png" {
		t.Fatalf("message creator avatar %q", m.Creator.AvatarKey)
	}
	users, err := s.Users(ctx(t))
	must(t, err)
	for _, x := range users {
		if x.ID == bob.ID && x.AvatarKey != "avatars/2-abc.png" {
			t.Fatalf("Users: avatar %q", x.AvatarKey)
		}
	}
	u, err = s.SetUserAvatar(ctx(t), bob.ID, "", time.Time{})
	must(t, err)
	if u.AvatarKey != "" {
		t.Fatalf("cleared avatar is %q", u.AvatarKey)
	}
	_, err = s.SetUserAvatar(ctx(t), 1<<40, "avatars/x", time.Time{})
	wantErr(t, err, chat.ErrNotFound, "avatar of a missing user")

	a, err := s.SetAccountLogo(ctx(t), "logos/abc.png")
	must(t, err)
	if a.LogoKey != "logos/abc.png" || a.Name != "Acme" {
		t.Fatalf("SetAccountLogo returned %+v", a)
	}
	a, err = s.Account(ctx(t))
	must(t, err)
	if a.LogoKey != "logos/abc.png" {
		t.Fatalf("Account: logo %q", a.LogoKey)
	}
}
