package config

import (
	"errors"
	"strings"
)

// Push is Web Push's settings. The engine reads them from the environment
// (PushFromEnv); unset keys are generated once and kept in the database,
// which every instance shares.
type Push struct {
	// PublicKey and PrivateKey are the VAPID key pair, base64url
	// (VAPID_PUBLIC_KEY: the uncompressed P-256 point; VAPID_PRIVATE_KEY:
	// the 32-byte scalar), as `npx web-push generate-vapid-keys` prints
	// them. Both or neither.
	PublicKey, PrivateKey string
	// Subject is the contact push services may use (VAPID_SUBJECT):
	// mailto:… or https://…; empty uses the first administrator's email.
	Subject string
}

// PushFromEnv reads VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT
// through lookup (os.LookupEnv) and checks their form; the keys themselves
// are checked by the engine that parses them.
func PushFromEnv(lookup func(string) (string, bool)) (Push, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	p := Push{PublicKey: get("VAPID_PUBLIC_KEY"), PrivateKey: get("VAPID_PRIVATE_KEY"), Subject: get("VAPID_SUBJECT")}
	if (p.PublicKey == "") != (p.PrivateKey == "") {
		return Push{}, errors.New("VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY: set both or neither")
	}
	if p.Subject != "" && !strings.HasPrefix(p.Subject, "mailto:") && !strings.HasPrefix(p.Subject, "https://") {
		return Push{}, errors.New("VAPID_SUBJECT must start with mailto: or https://")
	}
	return p, nil
}
