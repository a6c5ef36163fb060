package web_test

import (
	"context"
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
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/push"
	"github.com/campfire-go/campfire/internal/ratelimit"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/testenv"
	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

var b64u = base64.RawURLEncoding

// browser is a push subscriber as a browser holds it: a P-256 key pair and
// an auth secret, generated here, independent of the server's code.
type browser struct {
	priv *ecdh.PrivateKey
	auth []byte
}

func newBrowser(t testing.TB) browser {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return browser{priv: k, auth: auth}
}

func (b browser) subscription(endpoint string) map[string]any {
	return map[string]any{"endpoint": endpoint, "keys": map[string]string{
		"p256dh": b64u.EncodeToString(b.priv.PublicKey().Bytes()), "auth": b64u.EncodeToString(b.auth),
	}}
}

// decrypt reads an aes128gcm body (RFC 8188) with the keys of RFC 8291
// §3.4, as the browser does.
func (b browser) decrypt(t testing.TB, body []byte) []byte {
	t.Helper()
	if len(body) < 21 {
		t.Fatalf("body of %d bytes has no header", len(body))
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen {
		t.Fatalf("key id of %d bytes, want the sender's 65-byte public key", idlen)
	}
	asPub, ct := body[21:21+idlen], body[21+idlen:]
	if uint32(len(ct)) > rs {
		t.Fatalf("one record of %d bytes over the record size %d", len(ct), rs)
	}
	as, err := ecdh.P256().NewPublicKey(asPub)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := b.priv.ECDH(as)
	if err != nil {
		t.Fatal(err)
	}
	uaPub := b.priv.PublicKey().Bytes()
	info := append(append([]byte("WebPush: info\x00"), uaPub...), asPub...)
	prkKey, _ := hkdf.Extract(sha256.New, shared, b.auth)
	ikm, _ := hkdf.Expand(sha256.New, prkKey, string(info), 32)
	prk, _ := hkdf.Extract(sha256.New, ikm, salt)
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	blk, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(blk)
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		t.Fatalf("decrypting: %v", err)
	}
	// Strip padding back to the last record's delimiter, 2.
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 || plain[i] != 2 {
		t.Fatalf("no last-record delimiter")
	}
	return plain[:i]
}

// pushed is one request a push service received.
type pushed struct {
	path   string
	header http.Header
	body   []byte
}

// pushService is the test's push service: it records every POST and
// answers with the status set for its path (201 by default).
type pushService struct {
	*httptest.Server
	mu     sync.Mutex
	got    []pushed
	status map[string]int
	change chan struct{}
}

func newPushService(t testing.TB) *pushService {
	ps := &pushService{status: map[string]int{}, change: make(chan struct{})}
	ps.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ps.mu.Lock()
		ps.got = append(ps.got, pushed{r.URL.Path, r.Header.Clone(), body})
		code := ps.status[r.URL.Path]
		close(ps.change)
		ps.change = make(chan struct{})
		ps.mu.Unlock()
		if code == 0 {
			code = http.StatusCreated
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(ps.Close)
	return ps
}

func (ps *pushService) setStatus(path string, code int) {
	ps.mu.Lock()
	ps.status[path] = code
	ps.mu.Unlock()
}

// to returns what arrived for path so far.
func (ps *pushService) to(path string) []pushed {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var out []pushed
	for _, p := range ps.got {
		if p.path == path {
			out = append(out, p)
		}
	}
	return out
}

// wait blocks until path has received n pushes.
func (ps *pushService) wait(t testing.TB, path string, n int) []pushed {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		ps.mu.Lock()
		ch := ps.change
		ps.mu.Unlock()
		if got := ps.to(path); len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for push %d to %s", n, path)
		}
	}
}

// pushServer is a stack whose push pool may post to the test's loopback
// receiver: one sender and one planner, so jobs finish in the order they
// were planned and a later push proves earlier ones were decided.
func pushServer(t *testing.T) (*webtest.Server, *push.Pool) {
	t.Helper()
	s, pool := pushInstance(t, nil)
	s.Setup(t)
	return s, pool
}

// pushInstance starts a stack (with config, when set, changing its
// configuration) whose push pool reaches loopback endpoints.
func pushInstance(t *testing.T, config func(*config.Config)) (*webtest.Server, *push.Pool) {
	t.Helper()
	var pool *push.Pool
	s := webtest.New(t, webtest.Options{Config: config, Register: func(_ *http.ServeMux, s *webtest.Server) {
		k, err := s.Store.VAPIDKeys(context.Background(), store.VAPIDKeys{})
		if err != nil {
			t.Fatal(err)
		}
		v, err := push.ParseVAPID(k.PublicKey, k.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		pool = push.New(v, push.Options{
			AllowLoopback: true, Workers: 1, Planners: 1, RetryDelay: time.Millisecond,
			Subject: s.Core.PushSubject(""), Gone: s.Core.ExpirePushSubscription,
		})
		s.Core.SetPusher(pool)
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { pool.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, pool
}

const (
	validP256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	validAuth   = "BTBZMqHH6r4Tts7J_aSIgg"
)

func sub(endpoint, p256dh, auth string) map[string]any {
	return map[string]any{"endpoint": endpoint, "keys": map[string]string{"p256dh": p256dh, "auth": auth}}
}

func TestPushSubscriptionValidation(t *testing.T) {
	s := newServer(t) // production's pool: loopback endpoints refused
	tok := s.AdminToken
	const ep = "https://fcm.googleapis.com/fcm/send/abc"
	run(t, s, []scenario{
		{"no auth", "POST", "/api/v1/push_subscriptions", sub(ep, validP256dh, validAuth), "", 401, "unauthorized"},
		{"not json", "POST", "/api/v1/push_subscriptions", raw("text/plain", "x"), tok, 415, ""},
		{"no endpoint", "POST", "/api/v1/push_subscriptions", sub("", validP256dh, validAuth), tok, 422, "invalid_endpoint"},
		{"http", "POST", "/api/v1/push_subscriptions", sub("http://fcm.googleapis.com/x", validP256dh, validAuth), tok, 422, "invalid_endpoint"},
		{"loopback", "POST", "/api/v1/push_subscriptions", sub("https://127.0.0.1/x", validP256dh, validAuth), tok, 422, "invalid_endpoint"},
		{"loopback http", "POST", "/api/v1/push_subscriptions", sub("http://127.0.0.1:9/x", validP256dh, validAuth), tok, 422, "invalid_endpoint"},
		{"metadata", "POST", "/api/v1/push_subscriptions", sub("https://169.254.169.254/latest", validP256dh, validAuth), tok, 422, "invalid_endpoint"},
		{"private", "POST", "/api/v1/push_subscriptions", sub("https://10.0.0.8/x", validP256dh, validAuth), tok, 422, "invalid_endpoint"},
		{"localhost", "POST", "/api/v1/push_subscriptions", sub("https://localhost/x", validP256dh, validAuth), tok, 422, "invalid_endpoint"},
		{"huge endpoint", "POST", "/api/v1/push_subscriptions", sub("https://push.example/"+strings.Repeat("a", 4000), validP256dh, validAuth), tok, 422, "invalid_endpoint"},
		{"short p256dh", "POST", "/api/v1/push_subscriptions", sub(ep, validP256dh[:60], validAuth), tok, 422, "invalid_keys"},
		{"p256dh off the curve", "POST", "/api/v1/push_subscriptions", sub(ep, "BA"+validP256dh[2:80]+"AAAAAAA", validAuth), tok, 422, "invalid_keys"},
		{"auth of 15 bytes", "POST", "/api/v1/push_subscriptions", sub(ep, validP256dh, b64u.EncodeToString(make([]byte, 15))), tok, 422, "invalid_keys"},
		{"auth not base64", "POST", "/api/v1/push_subscriptions", sub(ep, validP256dh, "!!!!!!!!!!!!!!!!!!!!!!"), tok, 422, "invalid_keys"},
		{"keys wrong type", "POST", "/api/v1/push_subscriptions", map[string]any{"endpoint": ep, "keys": "x"}, tok, 400, "invalid_field"},
		{"valid", "POST", "/api/v1/push_subscriptions", sub(ep, validP256dh, validAuth), tok, 201, ""},
		{"again", "POST", "/api/v1/push_subscriptions", sub(ep, validP256dh, validAuth), tok, 201, ""},
		{"delete no auth", "DELETE", "/api/v1/push_subscriptions", map[string]string{"endpoint": ep}, "", 401, "unauthorized"},
		{"delete no endpoint", "DELETE", "/api/v1/push_subscriptions", map[string]string{}, tok, 422, "invalid_endpoint"},
		{"delete", "DELETE", "/api/v1/push_subscriptions", map[string]string{"endpoint": ep}, tok, 204, ""},
		{"delete again", "DELETE", "/api/v1/push_subscriptions", map[string]string{"endpoint": ep}, tok, 204, ""},
		{"wrong method", "PUT", "/api/v1/push_subscriptions", nil, tok, 405, "method_not_allowed"},
		{"key no auth", "GET", "/api/v1/push/vapid_public_key", nil, "", 401, "unauthorized"},
	})

	var key struct {
		PublicKey string `json:"public_key"`
	}
	s.Must(t, 200, "GET", "/api/v1/push/vapid_public_key", nil, tok).JSON(t, &key)
	if b, err := b64u.DecodeString(key.PublicKey); err != nil || len(b) != 65 || b[0] != 4 {
		t.Fatalf("vapid public key %q is not an uncompressed P-256 point", key.PublicKey)
	}
	stored, err := s.Store.VAPIDKeys(t.Context(), store.VAPIDKeys{PublicKey: "other", PrivateKey: "other"})
	if err != nil || stored.PublicKey != key.PublicKey {
		t.Fatalf("the key served is not the one stored (%v)", err)
	}
}

func TestPushSubscriptionsPerUser(t *testing.T) {
	// Subscribing spends the action budget (20 a minute); this test saves
	// more than that to reach the cap.
	s := webtest.New(t, webtest.Options{Core: campfire.Options{Actions: ratelimit.Rate{Burst: 1000, Per: time.Second}}})
	s.Setup(t)
	bobTok, bob := s.Join(t, "Bob")
	const ep = "https://updates.push.services.mozilla.com/wpush/v2/ada"
	s.Must(t, 201, "POST", "/api/v1/push_subscriptions", sub(ep, validP256dh, validAuth), s.AdminToken)

	// Bob cannot delete Ada's subscription: 204, and it stays.
	s.Must(t, 204, "DELETE", "/api/v1/push_subscriptions", map[string]string{"endpoint": ep}, bobTok)
	got, err := s.Store.PushSubscriptionsFor(t.Context(), []int64{s.Admin.ID, bob.ID})
	if err != nil || len(got) != 1 || got[0].UserID != s.Admin.ID {
		t.Fatalf("after Bob's delete: %+v, %v", got, err)
	}

	// At most 20 browsers a person: the oldest go.
	for i := range 25 {
		s.Must(t, 201, "POST", "/api/v1/push_subscriptions", sub(fmt.Sprintf("https://fcm.googleapis.com/fcm/send/bob-%d", i), validP256dh, validAuth), bobTok)
	}
	got, err = s.Store.PushSubscriptionsFor(t.Context(), []int64{bob.ID})
	if err != nil || len(got) != 20 {
		t.Fatalf("Bob has %d subscriptions (%v), want 20", len(got), err)
	}
	for _, p := range got {
		if p.Endpoint == "https://fcm.googleapis.com/fcm/send/bob-0" || p.Endpoint == "https://fcm.googleapis.com/fcm/send/bob-4" {
			t.Fatalf("the oldest subscription %s was kept", p.Endpoint)
		}
	}

	// Ada deletes her own.
	s.Must(t, 204, "DELETE", "/api/v1/push_subscriptions", map[string]string{"endpoint": ep}, s.AdminToken)
	got, _ = s.Store.PushSubscriptionsFor(t.Context(), []int64{s.Admin.ID})
	if len(got) != 0 {
		t.Fatalf("Ada's subscription survived her delete")
	}
}

// vapidClaims checks an Authorization header the way a push service does
// (RFC 8292): an ES256 JWT that verifies with k, for the endpoint's origin,
// not expired and at most 24 hours ahead.
func vapidClaims(t *testing.T, header, publicKey, origin string) map[string]any {
	t.Helper()
	rest, ok := strings.CutPrefix(header, "vapid t=")
	if !ok {
		t.Fatalf("Authorization %q is not vapid", header)
	}
	jwt, k, ok := strings.Cut(rest, ", k=")
	if !ok || k != publicKey {
		t.Fatalf("Authorization k=%q, want the server's key %q", k, publicKey)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT %q has %d parts", jwt, len(parts))
	}
	var hdr map[string]string
	hb, _ := b64u.DecodeString(parts[0])
	if err := json.Unmarshal(hb, &hdr); err != nil || hdr["alg"] != "ES256" {
		t.Fatalf("JWT header %s", hb)
	}
	pk, _ := b64u.DecodeString(k)
	x, y := new(big.Int).SetBytes(pk[1:33]), new(big.Int).SetBytes(pk[33:])
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}
	sig, _ := b64u.DecodeString(parts[2])
	h := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if len(sig) != 64 || !ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("the VAPID JWT does not verify with the server's public key")
	}
	var claims map[string]any
	cb, _ := b64u.DecodeString(parts[1])
	if err := json.Unmarshal(cb, &claims); err != nil {
		t.Fatal(err)
	}
	if claims["aud"] != origin {
		t.Fatalf("aud %v, want %s", claims["aud"], origin)
	}
	exp := time.Unix(int64(claims["exp"].(float64)), 0)
	if time.Until(exp) <= 0 || time.Until(exp) > 24*time.Hour {
		t.Fatalf("exp %v is not within the next 24 hours", exp)
	}
	return claims
}

func TestPushDelivery(t *testing.T) {
	s, pool := pushServer(t)
	ps := newPushService(t)
	room := allTalk(t, s)
	bobTok, bob := s.Join(t, "Bob")
	catTok, cat := s.Join(t, "Cat")
	danTok, _ := s.Join(t, "Dan")
	bobB, catB, danB, adaB := newBrowser(t), newBrowser(t), newBrowser(t), newBrowser(t)
	s.Must(t, 201, "POST", "/api/v1/push_subscriptions", bobB.subscription(ps.URL+"/bob"), bobTok)
	s.Must(t, 201, "POST", "/api/v1/push_subscriptions", catB.subscription(ps.URL+"/cat"), catTok)
	s.Must(t, 201, "POST", "/api/v1/push_subscriptions", danB.subscription(ps.URL+"/dan"), danTok)
	s.Must(t, 201, "POST", "/api/v1/push_subscriptions", adaB.subscription(ps.URL+"/ada"), s.AdminToken)
	// Bob hears everything, Cat everything but is reading the room, Dan
	// only mentions (the default), Ada is the author.
	for _, tok := range []string{bobTok, catTok} {
		s.Must(t, 200, "PUT", roomPath(room, "involvement"), map[string]string{"involvement": "everything"}, tok)
	}
	ws := readingRoom(t, s, catTok, room, cat.ID)
	defer ws.Close()

	long := strings.Repeat("lorem ipsum ", 600) // 7 KB: cut to fit
	m := post(t, s, s.AdminToken, room, "Hello everyone "+long)

	got := ps.wait(t, "/bob", 1)[0]
	if got.header.Get("Content-Encoding") != "aes128gcm" || got.header.Get("TTL") == "" {
		t.Fatalf("headers %v", got.header)
	}
	claims := vapidClaims(t, got.header.Get("Authorization"), pool.PublicKey(), ps.URL)
	if claims["sub"] != "mailto:"+s.Admin.Email {
		t.Fatalf("sub %v, want the admin's mailto", claims["sub"])
	}
	var p push.Payload
	plain := bobB.decrypt(t, got.body)
	if err := json.Unmarshal(plain, &p); err != nil {
		t.Fatalf("payload %s: %v", plain, err)
	}
	if len(plain) > push.MaxPayload || !strings.HasPrefix(p.Body, s.Admin.Name+": Hello everyone lorem") || !strings.HasSuffix(p.Body, "…") {
		t.Fatalf("payload of %d bytes, body %.60q…", len(plain), p.Body)
	}
	if p.Title != "All Talk" || p.Path != fmt.Sprintf("/rooms/%d/@%d", room, m.ID) || p.Badge != 1 || p.RoomID != room || p.MessageID != m.ID {
		t.Fatalf("payload %+v", p)
	}

	// A mention reaches Dan; a direct message reaches Bob with the author
	// as title. With one sender, the last push arriving means every
	// earlier decision was carried out.
	post(t, s, s.AdminToken, room, "@Dan look")
	d := ps.wait(t, "/dan", 1)[0]
	if err := json.Unmarshal(danB.decrypt(t, d.body), &p); err != nil || p.Body != s.Admin.Name+": @Dan look" {
		t.Fatalf("Dan's payload %+v (%v)", p, err)
	}
	dm := s.Must(t, 201, "POST", "/api/v1/rooms/direct", map[string]any{"user_ids": []int64{bob.ID}}, s.AdminToken)
	var direct wire.Room
	dm.JSON(t, &direct)
	post(t, s, s.AdminToken, direct.ID, "psst")
	all := ps.wait(t, "/bob", 3)
	if err := json.Unmarshal(bobB.decrypt(t, all[2].body), &p); err != nil || p.Title != s.Admin.Name || p.Body != s.Admin.Name+": psst" || p.Badge != 2 {
		t.Fatalf("direct payload %+v (%v)", p, err)
	}
	if n := len(ps.to("/cat")); n != 0 {
		t.Fatalf("Cat, reading the room, got %d pushes", n)
	}
	if n := len(ps.to("/ada")); n != 0 {
		t.Fatalf("the author got %d pushes", n)
	}
	if n := len(ps.to("/dan")); n != 1 {
		t.Fatalf("Dan (mentions) got %d pushes, want 1", n)
	}

	// A push service answering 410 means the browser unsubscribed: the
	// subscription is deleted.
	ps.setStatus("/bob", http.StatusGone)
	post(t, s, s.AdminToken, room, "anyone there?")
	ps.wait(t, "/bob", 4)
	deadline := time.Now().Add(10 * time.Second)
	for {
		subs, err := s.Store.PushSubscriptionsFor(t.Context(), []int64{bob.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gone subscription was not deleted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := pool.Stats(); st.Gone != 1 || st.Dropped != 0 {
		t.Fatalf("pool stats %+v", st)
	}
}

// readingRoom opens a cable for a user and subscribes to room, returning
// once presence shows them there.
func readingRoom(t *testing.T, s *webtest.Server, token string, room, userID int64) *websocket.Conn {
	t.Helper()
	url := "ws" + strings.TrimPrefix(s.URL, "http") + "/api/v1/cable"
	ws, _, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(url, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteJSON(map[string]any{"type": "subscribe", "room_id": room}); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var f struct {
			Type    string  `json:"type"`
			RoomID  int64   `json:"room_id"`
			UserIDs []int64 `json:"user_ids"`
		}
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("waiting for presence: %v", err)
		}
		if f.Type == "presence" && f.RoomID == room {
			for _, id := range f.UserIDs {
				if id == userID {
					ws.SetReadDeadline(time.Time{})
					return ws
				}
			}
		}
	}
}

// With several instances on one database and Redis, a message is pushed
// once, by the instance that stored it, whichever instance the browser
// subscribed through and whichever the author posts to.
func TestPushOnceAcrossInstances(t *testing.T) {
	if testenv.Backend() != "postgres+redis" {
		t.Skip("needs CAMPFIRE_TEST_BACKEND=postgres+redis: two instances share PostgreSQL and Redis")
	}
	a, poolA := pushServer(t)
	b, poolB := pushInstance(t, func(cfg *config.Config) {
		*cfg = a.Graph.Config
		cfg.InstanceID = "test-2"
	})
	ps := newPushService(t)
	room := allTalk(t, a)
	bobTok, _ := a.Join(t, "Bob")
	bobB := newBrowser(t)
	b.Must(t, 201, "POST", "/api/v1/push_subscriptions", bobB.subscription(ps.URL+"/bob"), bobTok)
	a.Must(t, 200, "PUT", roomPath(room, "involvement"), map[string]string{"involvement": "everything"}, bobTok)

	var posted []int64
	for i, s := range []*webtest.Server{a, b, a, b} {
		posted = append(posted, post(t, s, a.AdminToken, room, fmt.Sprintf("message %d", i)).ID)
		ps.wait(t, "/bob", i+1)
	}
	// Each pool has one sender, planning in order: a duplicate planned
	// for an earlier message would have been sent before these.
	posted = append(posted, post(t, a, a.AdminToken, room, "last on a").ID)
	ps.wait(t, "/bob", 5)
	posted = append(posted, post(t, b, a.AdminToken, room, "last on b").ID)
	got := ps.wait(t, "/bob", 6)
	seen := map[int64]int{}
	for _, p := range got {
		var pl push.Payload
		if err := json.Unmarshal(bobB.decrypt(t, p.body), &pl); err != nil {
			t.Fatal(err)
		}
		seen[pl.MessageID]++
	}
	for _, id := range posted {
		if seen[id] != 1 {
			t.Fatalf("message %d pushed %d times (pushes: %v)", id, seen[id], seen)
		}
	}
	// The receiver records a push before it answers; the pool counts it
	// after.
	for deadline := time.Now().Add(10 * time.Second); poolA.Stats().Sent+poolB.Stats().Sent < 6 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if sa, sb := poolA.Stats().Sent, poolB.Stats().Sent; sa != 3 || sb != 3 || len(ps.to("/bob")) != 6 {
		t.Fatalf("instance a sent %d, b sent %d, received %d; want 3, 3 and 6", sa, sb, len(ps.to("/bob")))
	}
}

// A new password is how a person shuts out a lost device: its browser
// must stop receiving their messages' text too, not only its session.
// The page re-saves its own browser's subscription on the next load
// (push.js forgets when it last saved when the password form is sent).
func TestPasswordChangeDropsPushSubscriptions(t *testing.T) {
	s := newServer(t)
	bobTok, bob := s.Join(t, "Bob")
	for _, ep := range []string{"https://fcm.googleapis.com/fcm/send/lost-phone", "https://fcm.googleapis.com/fcm/send/laptop"} {
		s.Must(t, 201, "POST", "/api/v1/push_subscriptions", sub(ep, validP256dh, validAuth), bobTok)
	}
	s.Must(t, 201, "POST", "/api/v1/push_subscriptions", sub("https://fcm.googleapis.com/fcm/send/ada", validP256dh, validAuth), s.AdminToken)
	s.Must(t, 200, "PATCH", "/api/v1/users/me", map[string]string{"name": "Bob B"}, bobTok)
	if got, _ := s.Store.PushSubscriptionsFor(t.Context(), []int64{bob.ID}); len(got) != 2 {
		t.Fatalf("a new name dropped subscriptions: %d left", len(got))
	}
	s.Must(t, 200, "PATCH", "/api/v1/users/me", map[string]string{"password": "a brand new secret"}, bobTok)
	if got, err := s.Store.PushSubscriptionsFor(t.Context(), []int64{bob.ID}); err != nil || len(got) != 0 {
		t.Fatalf("after a new password Bob's browsers still get pushes: %+v %v", got, err)
	}
	if got, _ := s.Store.PushSubscriptionsFor(t.Context(), []int64{s.Admin.ID}); len(got) != 1 {
		t.Fatal("someone else's subscription went too")
	}
}
