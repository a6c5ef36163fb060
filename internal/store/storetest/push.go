package storetest

import (
	"fmt"
	"testing"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

func pushSub(u chat.User, endpoint string) store.PushSubscription {
	return store.PushSubscription{UserID: u.ID, Endpoint: endpoint, P256dh: "key-" + endpoint, Auth: "auth-" + endpoint}
}

func endpoints(ps []store.PushSubscription) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%d:%s", p.UserID, p.Endpoint))
	}
	return out
}

func testPushSubscriptions(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob, cat := w.user(t, "Bob"), w.user(t, "Cat")

	got, err := s.PushSubscriptionsFor(ctx(t), nil)
	must(t, err)
	if got == nil || len(got) != 0 {
		t.Fatalf("no users: %v", got)
	}

	a, err := s.SavePushSubscription(ctx(t), pushSub(bob, "https://push.example/a"), 20)
	must(t, err)
	if a.ID == 0 || a.UserID != bob.ID || a.P256dh != "key-https://push.example/a" || a.CreatedAt.IsZero() {
		t.Fatalf("saved %+v", a)
	}
	wantUTC(t, "push subscription", a.CreatedAt, a.UpdatedAt)
	// Saving again updates the keys in place.
	again := pushSub(bob, "https://push.example/a")
	again.P256dh, again.Auth = "new-key", "new-auth"
	b, err := s.SavePushSubscription(ctx(t), again, 20)
	must(t, err)
	if b.ID != a.ID || b.P256dh != "new-key" || b.Auth != "new-auth" {
		t.Fatalf("re-saved %+v, want id %d with new keys", b, a.ID)
	}
	_, err = s.SavePushSubscription(ctx(t), pushSub(cat, "https://push.example/c"), 20)
	must(t, err)

	got, err = s.PushSubscriptionsFor(ctx(t), []int64{cat.ID, bob.ID, w.admin.ID})
	must(t, err)
	if e := fmt.Sprint(endpoints(got)); e != fmt.Sprintf("[%d:https://push.example/a %d:https://push.example/c]", bob.ID, cat.ID) {
		t.Fatalf("subscriptions = %s", e)
	}
	if got[0].P256dh != "new-key" || got[0].Auth != "new-auth" {
		t.Fatalf("listed %+v", got[0])
	}

	// Deleting is per person: Cat cannot delete Bob's.
	wantErr(t, s.DeletePushSubscription(ctx(t), cat.ID, "https://push.example/a"), chat.ErrNotFound, "delete someone else's")
	wantErr(t, s.DeletePushSubscription(ctx(t), bob.ID, "https://push.example/none"), chat.ErrNotFound, "delete unknown")
	got, err = s.PushSubscriptionsFor(ctx(t), []int64{bob.ID})
	must(t, err)
	if len(got) != 1 {
		t.Fatalf("Bob's after Cat's delete: %v", endpoints(got))
	}

	// The same browser subscribed by another person moves to them.
	moved, err := s.SavePushSubscription(ctx(t), pushSub(cat, "https://push.example/a"), 20)
	must(t, err)
	if moved.ID != a.ID || moved.UserID != cat.ID {
		t.Fatalf("taken over: %+v", moved)
	}
	got, err = s.PushSubscriptionsFor(ctx(t), []int64{bob.ID})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("Bob kept a subscription Cat took over: %v", endpoints(got))
	}

	must(t, s.DeletePushSubscription(ctx(t), cat.ID, "https://push.example/a"))
	must(t, s.ExpirePushSubscription(ctx(t), a.ID)) // already gone: not an error
	c, err := s.PushSubscriptionsFor(ctx(t), []int64{cat.ID})
	must(t, err)
	must(t, s.ExpirePushSubscription(ctx(t), c[0].ID))
	got, err = s.PushSubscriptionsFor(ctx(t), []int64{bob.ID, cat.ID})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("left after deletes: %v", endpoints(got))
	}

	// Deleting a user deletes their subscriptions (cascade) is not
	// reachable through the interface; deactivation keeps them (a
	// deactivated user is no member, so nothing is pushed to them).
}

func testPushSubscriptionCap(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	for i := range 5 {
		_, err := s.SavePushSubscription(ctx(t), pushSub(bob, fmt.Sprintf("https://push.example/%d", i)), 3)
		must(t, err)
	}
	got, err := s.PushSubscriptionsFor(ctx(t), []int64{bob.ID})
	must(t, err)
	// The least recently saved go first.
	if e := fmt.Sprint(endpoints(got)); e != fmt.Sprintf("[%[1]d:https://push.example/2 %[1]d:https://push.example/3 %[1]d:https://push.example/4]", bob.ID) {
		t.Fatalf("after 5 saves with a cap of 3: %s", e)
	}
	// Saving an old one again makes it the newest: the next new one evicts 3.
	_, err = s.SavePushSubscription(ctx(t), pushSub(bob, "https://push.example/2"), 3)
	must(t, err)
	_, err = s.SavePushSubscription(ctx(t), pushSub(bob, "https://push.example/5"), 3)
	must(t, err)
	got, err = s.PushSubscriptionsFor(ctx(t), []int64{bob.ID})
	must(t, err)
	if e := fmt.Sprint(endpoints(got)); e != fmt.Sprintf("[%[1]d:https://push.example/2 %[1]d:https://push.example/4 %[1]d:https://push.example/5]", bob.ID) {
		t.Fatalf("after refreshing 2 and adding 5: %s", e)
	}
}

func testUnreadRoomCounts(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob, cat := w.user(t, "Bob"), w.user(t, "Cat")
	other := w.room(t, "Other", chat.RoomOpen, w.admin)
	got, err := s.UnreadRoomCounts(ctx(t), []int64{bob.ID, cat.ID})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("before any post: %v", got)
	}
	w.post(t, w.allTalk, w.admin, "one")
	w.post(t, other, w.admin, "two")
	w.post(t, other, w.admin, "three")
	_, err = s.MarkRead(ctx(t), other.ID, cat.ID)
	must(t, err)
	got, err = s.UnreadRoomCounts(ctx(t), []int64{bob.ID, cat.ID, w.admin.ID})
	must(t, err)
	if got[bob.ID] != 2 || got[cat.ID] != 1 || len(got) != 2 {
		t.Fatalf("unread rooms = %v, want Bob 2, Cat 1, the author none", got)
	}
	got, err = s.UnreadRoomCounts(ctx(t), nil)
	must(t, err)
	if got == nil || len(got) != 0 {
		t.Fatalf("no users: %v", got)
	}
}

func testVAPIDKeys(t *testing.T, s store.Store) {
	first, err := s.VAPIDKeys(ctx(t), store.VAPIDKeys{PublicKey: "pub-1", PrivateKey: "priv-1"})
	must(t, err)
	if first.PublicKey != "pub-1" || first.PrivateKey != "priv-1" {
		t.Fatalf("first = %+v", first)
	}
	// Later candidates (another instance's, a restart's) lose.
	second, err := s.VAPIDKeys(ctx(t), store.VAPIDKeys{PublicKey: "pub-2", PrivateKey: "priv-2"})
	must(t, err)
	if second != first {
		t.Fatalf("second = %+v, want the first pair", second)
	}
}

func testPushTargets(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob, cat, dan, eve := w.user(t, "Bob"), w.user(t, "Cat"), w.user(t, "Dan"), w.user(t, "Eve")
	bot := w.bot(t, "Deploy")
	for _, u := range []chat.User{w.admin, bob, cat, dan, eve, bot} {
		_, err := s.SavePushSubscription(ctx(t), pushSub(u, "https://push.example/"+u.Name), 20)
		must(t, err)
	}
	_, err := s.SavePushSubscription(ctx(t), pushSub(bob, "https://push.example/Bob-phone"), 20)
	must(t, err)
	must(t, s.SetInvolvement(ctx(t), w.allTalk.ID, bob.ID, chat.InvolvementEverything))
	must(t, s.SetInvolvement(ctx(t), w.allTalk.ID, dan.ID, chat.InvolvementNothing))
	must(t, s.SetInvolvement(ctx(t), w.allTalk.ID, eve.ID, chat.InvolvementInvisible))
	_, err = s.DeactivateUser(ctx(t), cat.ID, chat.StatusDeactivated)
	must(t, err)
	closed := w.room(t, "Closed", chat.RoomClosed, w.admin)

	got, err := s.PushTargets(ctx(t), w.allTalk.ID, w.admin.ID)
	must(t, err)
	var desc []string
	for _, p := range got {
		desc = append(desc, fmt.Sprintf("%s:%s", p.Endpoint, p.Involvement))
	}
	// Bob both devices (everything); Dan (nothing), Eve (invisible), Cat
	// (deactivated), the bot and the author are left out.
	want := "[https://push.example/Bob:everything https://push.example/Bob-phone:everything]"
	if fmt.Sprint(desc) != want {
		t.Fatalf("targets = %v, want %s", desc, want)
	}
	// A closed room of the admin alone: a post by anyone else reaches them
	// (shared rooms default to mentions).
	got, err = s.PushTargets(ctx(t), closed.ID, bob.ID)
	must(t, err)
	if len(got) != 1 || got[0].UserID != w.admin.ID || got[0].Involvement != chat.InvolvementMentions {
		t.Fatalf("closed room targets = %+v", got)
	}
	got, err = s.PushTargets(ctx(t), closed.ID, w.admin.ID)
	must(t, err)
	if got == nil || len(got) != 0 {
		t.Fatalf("closed room, author excluded: %+v", got)
	}
}
