package push

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// b64 is the base64url without padding that browsers and RFC 8292 use;
// decoding also accepts padding, which some clients add.
var b64 = base64.RawURLEncoding

// DecodeKey decodes a base64url key as a browser's PushSubscription gives
// it, with or without padding.
func DecodeKey(s string) ([]byte, error) {
	return b64.DecodeString(strings.TrimRight(s, "="))
}

// VAPID is the server's key pair (RFC 8292), which identifies it to push
// services; browsers bind each subscription to its public key.
type VAPID struct {
	priv *ecdsa.PrivateKey
	pub  string // base64url of the uncompressed point
}

// GenerateVAPID makes a new key pair, base64url encoded: the public key as
// an uncompressed P-256 point (what applicationServerKey takes), the
// private key as its 32-byte scalar (the format web-push tools print).
func GenerateVAPID() (public, private string, err error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("generating VAPID keys: %w", err)
	}
	pub, err := k.PublicKey.Bytes()
	if err != nil {
		return "", "", err
	}
	priv, err := k.Bytes()
	if err != nil {
		return "", "", err
	}
	return b64.EncodeToString(pub), b64.EncodeToString(priv), nil
}

// ParseVAPID checks a key pair and that its halves belong together.
func ParseVAPID(public, private string) (*VAPID, error) {
	d, err := DecodeKey(private)
	if err != nil || len(d) != 32 {
		return nil, errors.New("the VAPID private key must be 32 bytes, base64url encoded")
	}
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		return nil, fmt.Errorf("the VAPID private key is not a P-256 key: %w", err)
	}
	p, err := DecodeKey(public)
	if err != nil || len(p) != 65 || p[0] != 4 {
		return nil, errors.New("the VAPID public key must be an uncompressed P-256 point (65 bytes), base64url encoded")
	}
	own, err := k.PublicKey.Bytes()
	if err != nil {
		return nil, err
	}
	if string(own) != string(p) {
		return nil, errors.New("the VAPID public key does not belong to the private key")
	}
	return &VAPID{priv: k, pub: b64.EncodeToString(p)}, nil
}

// PublicKey is the base64url public key, for the browser's
// pushManager.subscribe({applicationServerKey}).
func (v *VAPID) PublicKey() string { return v.pub }

// Authorization is the header value for a push to endpoint: a JWT (ES256)
// for the endpoint's origin, valid for 12 hours (RFC 8292 allows 24), and
// the public key.
func (v *VAPID) Authorization(endpoint, subject string, now time.Time) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("push endpoint %q has no origin", endpoint)
	}
	header := b64.EncodeToString([]byte(`{"typ":"JWT","alg":"ES256"}`))
	claims, err := json.Marshal(struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub,omitempty"`
	}{u.Scheme + "://" + u.Host, now.Add(12 * time.Hour).Unix(), subject})
	if err != nil {
		return "", err
	}
	signing := header + "." + b64.EncodeToString(claims)
	h := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, v.priv, h[:])
	if err != nil {
		return "", fmt.Errorf("signing VAPID token: %w", err)
	}
	sig := make([]byte, 64) // JWS ES256: r and s, 32 bytes each
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return "vapid t=" + signing + "." + b64.EncodeToString(sig) + ", k=" + v.pub, nil
}

// recordSize is the aes128gcm record size we declare; one record holds a
// whole push payload (push services take about 4 KB).
const recordSize = 4096

// Encrypt encrypts payload for a subscription's keys as RFC 8291 says
// (aes128gcm, RFC 8188, one record), with a fresh ephemeral key and salt.
func Encrypt(payload []byte, p256dh, auth string) ([]byte, error) {
	as, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	return encrypt(payload, p256dh, auth, as, salt)
}

// CheckKeys validates a subscription's keys: p256dh an uncompressed P-256
// point (65 bytes), auth 16 bytes.
func CheckKeys(p256dh, auth string) error {
	p, err := DecodeKey(p256dh)
	if err != nil || len(p) != 65 {
		return errors.New("keys.p256dh must be a base64url P-256 public key (65 bytes)")
	}
	if _, err := ecdh.P256().NewPublicKey(p); err != nil {
		return errors.New("keys.p256dh is not a point on P-256")
	}
	a, err := DecodeKey(auth)
	if err != nil || len(a) != 16 {
		return errors.New("keys.auth must be a base64url secret of 16 bytes")
	}
	return nil
}

func encrypt(payload []byte, p256dh, auth string, as *ecdh.PrivateKey, salt []byte) ([]byte, error) {
	if err := CheckKeys(p256dh, auth); err != nil {
		return nil, err
	}
	uaBytes, _ := DecodeKey(p256dh)
	authSecret, _ := DecodeKey(auth)
	if len(payload)+1+16 > recordSize {
		return nil, fmt.Errorf("push payload of %d bytes does not fit one record", len(payload))
	}
	ua, err := ecdh.P256().NewPublicKey(uaBytes)
	if err != nil {
		return nil, err
	}
	shared, err := as.ECDH(ua)
	if err != nil {
		return nil, err
	}
	asPub := as.PublicKey().Bytes()
	// RFC 8291 §3.3: the input keying material mixes in the auth secret
	// and both public keys.
	prkKey, err := hkdf.Extract(sha256.New, shared, authSecret)
	if err != nil {
		return nil, err
	}
	info := "WebPush: info\x00" + string(uaBytes) + string(asPub)
	ikm, err := hkdf.Expand(sha256.New, prkKey, info, 32)
	if err != nil {
		return nil, err
	}
	// RFC 8188 §2.2-2.3.
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// Header: salt, record size, key id length, key id (our public key).
	out := make([]byte, 0, 16+4+1+len(asPub)+len(payload)+1+gcm.Overhead())
	out = append(out, salt...)
	out = binary.BigEndian.AppendUint32(out, recordSize)
	out = append(out, byte(len(asPub)))
	out = append(out, asPub...)
	plain := append(append(make([]byte, 0, len(payload)+1), payload...), 2) // 2: the last record's delimiter
	return gcm.Seal(out, nonce, plain, nil), nil
}
