package storetest

import (
	"slices"
	"testing"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

// testAccountSettings pins the defaults before any save and the CSS
// version: bumped only when the stylesheet changes.
func testAccountSettings(t *testing.T, s store.Store) {
	setup(t, s)
	a, err := s.AccountSettings(ctx(t))
	must(t, err)
	if a.AdminsCreateRooms || a.CustomCSS != "" || a.CSSVersion != 0 {
		t.Fatalf("default settings %+v", a)
	}
	a, err = s.UpdateAccountSettings(ctx(t), store.AccountSettings{AdminsCreateRooms: true})
	must(t, err)
	if !a.AdminsCreateRooms || a.CSSVersion != 0 {
		t.Fatalf("saved without CSS %+v", a)
	}
	a, err = s.UpdateAccountSettings(ctx(t), store.AccountSettings{AdminsCreateRooms: true, CustomCSS: "body{color:red}"})
	must(t, err)
	if !a.AdminsCreateRooms || a.CustomCSS != "body{color:red}" || a.CSSVersion != 1 || a.UpdatedAt.IsZero() {
		t.Fatalf("saved settings %+v", a)
	}
	a, err = s.UpdateAccountSettings(ctx(t), store.AccountSettings{AdminsCreateRooms: false, CustomCSS: "body{color:red}"})
	must(t, err)
	if a.AdminsCreateRooms || a.CSSVersion != 1 {
		t.Fatalf("same CSS: %+v", a)
	}
	a, err = s.UpdateAccountSettings(ctx(t), store.AccountSettings{CustomCSS: "/* é */ body{color:blue}"})
	must(t, err)
	got, err := s.AccountSettings(ctx(t))
	must(t, err)
	if got.CSSVersion != 2 || got.CustomCSS != "/* é */ body{color:blue}" || a.CSSVersion != 2 {
		t.Fatalf("changed CSS: %+v / %+v", a, got)
	}
}

// testAdminBans pins a ban's recorded addresses, reactivation and the
// messages-by-author listing.
func testAdminBans(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	cat := w.user(t, "Cat")
	must(t, s.RecordBanIPs(ctx(t), bob.ID, []string{"10.0.0.2", "10.0.0.1", "10.0.0.2"}))
	must(t, s.RecordBanIPs(ctx(t), bob.ID, nil))
	ips, err := s.BanIPsOf(ctx(t), bob.ID)
	must(t, err)
	if !slices.Equal(ips, []string{"10.0.0.1", "10.0.0.2"}) {
		t.Fatalf("ban addresses %q", ips)
	}
	if ips, err := s.BanIPsOf(ctx(t), cat.ID); err != nil || ips == nil || len(ips) != 0 {
		t.Fatalf("none: %q %v", ips, err)
	}
	must(t, s.ForgetBanIPs(ctx(t), bob.ID))
	if ips, _ := s.BanIPsOf(ctx(t), bob.ID); len(ips) != 0 {
		t.Fatalf("forgotten: %q", ips)
	}

	var bobs []int64
	for i := range 5 {
		m, _ := w.post(t, w.allTalk, bob, "bob "+string(rune('a'+i)))
		bobs = append(bobs, m.ID)
		w.post(t, w.allTalk, cat, "cat")
	}
	ids, err := s.UserMessageIDs(ctx(t), bob.ID, 3)
	must(t, err)
	if !slices.Equal(ids, bobs[:3]) {
		t.Fatalf("first page %v, want %v", ids, bobs[:3])
	}
	must(t, s.DeleteMessage(ctx(t), ids[0]))
	ids, err = s.UserMessageIDs(ctx(t), bob.ID, 10)
	must(t, err)
	if !slices.Equal(ids, bobs[1:]) {
		t.Fatalf("after a delete %v, want %v", ids, bobs[1:])
	}
	if ids, err := s.UserMessageIDs(ctx(t), 999999, 10); err != nil || ids == nil || len(ids) != 0 {
		t.Fatalf("unknown author %v %v", ids, err)
	}

	_, err = s.DeactivateUser(ctx(t), bob.ID, chat.StatusBanned)
	must(t, err)
	if ids, err := s.BannedUserIDs(ctx(t)); err != nil || !slices.Equal(ids, []int64{bob.ID}) {
		t.Fatalf("banned users %v %v", ids, err)
	}
	must(t, s.ReactivateUser(ctx(t), bob.ID))
	if ids, err := s.BannedUserIDs(ctx(t)); err != nil || ids == nil || len(ids) != 0 {
		t.Fatalf("banned users after reactivation %v %v", ids, err)
	}
	u, err := s.User(ctx(t), bob.ID)
	must(t, err)
	if !u.Active() {
		t.Fatalf("reactivated %+v", u)
	}
	if _, err := s.RoomForUser(ctx(t), w.allTalk.ID, bob.ID); err != nil {
		t.Fatalf("reactivated person is not back in the open room: %v", err)
	}
	wantErr(t, s.ReactivateUser(ctx(t), 999999), chat.ErrNotFound, "reactivate unknown")
}
