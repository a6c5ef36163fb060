package push

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPayloadFits(t *testing.T) {
	for _, body := range []string{
		strings.Repeat("a", 10_000),
		strings.Repeat("é", 5_000),
		strings.Repeat("🔥", 3_000),
		strings.Repeat(`"\<`, 3_000), // escapes grow in JSON
		strings.Repeat("\x01", 2_000),
	} {
		p := Payload{Title: "Room", Body: "Ada: " + body, Path: "/rooms/1/@2", Badge: 3}
		b := p.Encode(MaxPayload)
		if len(b) > MaxPayload {
			t.Fatalf("%d bytes, over %d", len(b), MaxPayload)
		}
		var got Payload
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(got.Body) || !strings.HasSuffix(got.Body, "…") || !strings.HasPrefix(got.Body, "Ada: ") {
			t.Fatalf("body %q", got.Body[:40])
		}
		if len(b) < MaxPayload-32 {
			t.Fatalf("cut too much: %d bytes", len(b))
		}
	}
	short := Payload{Title: "Room", Body: "Ada: hi\n\nthere", Badge: 1}
	var got Payload
	if err := json.Unmarshal(short.Encode(MaxPayload), &got); err != nil || got.Body != "Ada: hi there" {
		t.Fatalf("short body %q (%v)", got.Body, err)
	}
	// A title too long for a tiny limit is cut as well.
	long := Payload{Title: strings.Repeat("t", 500), Body: strings.Repeat("b", 500)}
	if b := long.Encode(200); len(b) > 200 {
		t.Fatalf("%d bytes over 200", len(b))
	}
}

func TestCheckEndpoint(t *testing.T) {
	ok := []string{
		"https://fcm.googleapis.com/fcm/send/abc:def",
		"https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
		"https://web.push.apple.com/QGz",
		"https://8.8.8.8/x",
	}
	for _, e := range ok {
		if err := CheckEndpoint(e, false); err != nil {
			t.Errorf("%s: %v", e, err)
		}
	}
	bad := []string{
		"", "http://fcm.googleapis.com/x", "ftp://x.example/", "https:///x", "/relative",
		"https://user:pw@push.example/x", "https://push.example/x#frag",
		"https://localhost/x", "https://a.localhost/x", "https://127.0.0.1/x", "https://[::1]/x",
		"https://10.0.0.1/x", "https://192.168.1.1/x", "https://169.254.169.254/latest", "https://[fe80::1]/x",
		"https://100.64.0.1/x", "https://[::ffff:10.0.0.1]/x", "https://0.0.0.0/x", "https://[fd00::1]/x",
		"https://push.example/" + strings.Repeat("a", 3000),
		"http://127.0.0.1:8080/push",
	}
	for _, e := range bad {
		if err := CheckEndpoint(e, false); err == nil {
			t.Errorf("%s accepted", e)
		}
	}
	if err := CheckEndpoint("http://127.0.0.1:8080/push", true); err != nil {
		t.Errorf("loopback with the test option: %v", err)
	}
	if err := CheckEndpoint("http://10.0.0.1/push", true); err == nil {
		t.Error("the test option let a private address through")
	}
}

func TestDialControl(t *testing.T) {
	strict, loose := dialControl(false), dialControl(true)
	for _, a := range []string{"127.0.0.1:443", "[::1]:443", "10.1.2.3:443", "169.254.169.254:80", "[::ffff:192.168.0.1]:443", "[64:ff9b::a00:1]:443"} {
		if strict("tcp", a, nil) == nil {
			t.Errorf("dialed %s", a)
		}
	}
	if loose("tcp", "127.0.0.1:443", nil) != nil || loose("tcp", "10.0.0.1:443", nil) == nil {
		t.Error("the test option should allow loopback only")
	}
	if strict("tcp", "142.250.1.1:443", nil) != nil {
		t.Error("refused a public address")
	}
}
