package campfire

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
)

// Known devices: a browser that signed in to an account gets a signed token
// (kept in an HttpOnly cookie by the web layer) naming the account and a
// random device id. Presented again at sign-in, it earns the device its own
// attempt budget for that account, apart from the shared per-account one a
// stranger can spend. The token proves nothing but a past sign-in: it never
// skips the password, and a stolen one only buys its own bounded budget.

const devicePrefix = "d1."

// deviceKey derives the token key from the configured secret, or makes a
// random one.
func deviceKey(secret string) []byte {
	if secret == "" {
		k := make([]byte, 32)
		_, _ = rand.Read(k) // never fails (crypto/rand)
		return k
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("campfire known device v1"))
	return m.Sum(nil)
}

func (c *Core) deviceMAC(userID, nonce string) string {
	m := hmac.New(sha256.New, c.deviceKey)
	m.Write([]byte(userID + "." + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// DeviceToken is a fresh known-device token for a browser that has just
// signed in as userID.
func (c *Core) DeviceToken(userID int64) string {
	n := make([]byte, 12)
	_, _ = rand.Read(n)
	id, nonce := strconv.FormatInt(userID, 10), base64.RawURLEncoding.EncodeToString(n)
	return devicePrefix + id + "." + nonce + "." + c.deviceMAC(id, nonce)
}

// knownDevice checks token against userID and returns the device's
// rate-limit key.
func (c *Core) knownDevice(token string, userID int64) (string, bool) {
	rest, ok := strings.CutPrefix(token, devicePrefix)
	if !ok || len(token) > 128 {
		return "", false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 || parts[0] != strconv.FormatInt(userID, 10) {
		return "", false
	}
	if !hmac.Equal([]byte(parts[2]), []byte(c.deviceMAC(parts[0], parts[1]))) {
		return "", false
	}
	return "d" + parts[0] + "." + parts[1], true
}
