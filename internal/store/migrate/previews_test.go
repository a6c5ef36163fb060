package migrate_test

import (
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

// addPreviewAndPictures gives m a link preview, a user an avatar
// and the account a logo (their rows; the images stay in the blob store),
// as the server does.
func addPreviewAndPictures(t *testing.T, s store.Store, m chat.Message, by chat.User) {
	t.Helper()
	_, err := s.SetLinkPreview(t.Context(), chat.LinkPreview{MessageID: m.ID, URL: "https://example.com/é",
		Title: "Example — ünïcode", Description: "What it says.", SiteName: "Example",
		ImageKey: "previews/1-0123456789abcdef", ImageType: "image/jpeg"}, time.Now().Add(time.Millisecond))
	must(t, err)
	_, err = s.SetUserAvatar(t.Context(), by.ID, "avatars/2-fedcba9876543210.png", time.Now())
	must(t, err)
	_, err = s.SetAccountLogo(t.Context(), "logos/account-00112233aabbccdd.png")
	must(t, err)
}
