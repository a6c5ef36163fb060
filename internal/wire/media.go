package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strconv"
	"strings"

	"github.com/campfire-go/campfire/internal/chat"
)

// TypeUserUpdated is sent to every socket when a user's picture changes, so
// clients replace it wherever it shows.
const TypeUserUpdated = "user.updated"

// UserFrame is user.updated.
func UserFrame(typ string, u User) []byte {
	return Encode(struct {
		Type string `json:"type"`
		User User   `json:"user"`
	}{typ, u})
}

// AvatarVersion names the picture a user has: the hash in an uploaded
// avatar's blob key, or, for the generated one, a hash of what draws it
// (name and role), so the URL changes whenever the picture does.
func AvatarVersion(u chat.User) string {
	if u.AvatarKey != "" {
		return PictureVersion(u.AvatarKey)
	}
	sum := sha256.Sum256([]byte(string(u.Role) + "\x00" + u.Name))
	return "i" + hex.EncodeToString(sum[:6])
}

// PictureVersion is the hash part of a picture key "prefix-<hash>.ext".
func PictureVersion(key string) string {
	base := strings.TrimSuffix(path.Base(key), path.Ext(key))
	if i := strings.LastIndexByte(base, '-'); i >= 0 {
		return base[i+1:]
	}
	return base
}

// UserAvatarURL is u's avatar at a URL that changes with the picture, so it
// is served with immutable caching.
func UserAvatarURL(u chat.User) string {
	return AvatarURL(u.ID) + "?v=" + AvatarVersion(u)
}

// LogoURL is the account logo's URL for key, "" for none.
func LogoURL(key string) string {
	if key == "" {
		return ""
	}
	return "/logo?v=" + PictureVersion(key)
}

// Preview is a message's link preview card.
type Preview struct {
	URL         string `json:"url"`
	Title       string `json:"title"`
	Description string `json:"description"`
	SiteName    string `json:"site_name"`
	// ImageURL is the image proxied by this server (members only), or
	// absent.
	ImageURL string `json:"image_url,omitempty"`
}

// NewPreview converts p; nil for none.
func NewPreview(p *chat.LinkPreview) *Preview {
	if p == nil {
		return nil
	}
	w := &Preview{URL: p.URL, Title: p.Title, Description: p.Description, SiteName: p.SiteName}
	if p.ImageKey != "" {
		w.ImageURL = PreviewImageURL(p.MessageID, p.ImageKey)
	}
	return w
}

// PreviewImageURL is where a message's preview image is served; the
// version makes a replaced image a new URL.
func PreviewImageURL(messageID int64, key string) string {
	return "/api/v1/messages/" + strconv.FormatInt(messageID, 10) + "/preview_image?v=" + PictureVersion(key)
}
