package push

import (
	"crypto/ecdh"
	"testing"
)

// RFC 8291, Appendix A: fixed keys and salt give a known body, byte for
// byte. A round trip through our own decryption could not catch a
// derivation that is wrong the same way both ways.
func TestEncryptRFC8291Vector(t *testing.T) {
	asPriv, err := DecodeKey("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")
	if err != nil {
		t.Fatal(err)
	}
	as, err := ecdh.P256().NewPrivateKey(asPriv)
	if err != nil {
		t.Fatal(err)
	}
	salt, _ := DecodeKey("DGv6ra1nlYgDCS1FRnbzlw")
	got, err := encrypt([]byte("When I grow up, I want to be a watermelon"),
		"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
		"BTBZMqHH6r4Tts7J_aSIgg", as, salt)
	if err != nil {
		t.Fatal(err)
	}
	const want = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
	if b64.EncodeToString(got) != want {
		t.Fatalf("body\n got %s\nwant %s", b64.EncodeToString(got), want)
	}
}

func TestVAPIDKeys(t *testing.T) {
	pub, priv, err := GenerateVAPID()
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseVAPID(pub, priv)
	if err != nil || v.PublicKey() != pub {
		t.Fatalf("parse generated: %v", err)
	}
	other, _, _ := GenerateVAPID()
	for _, c := range []struct{ pub, priv string }{
		{other, priv}, {pub, "short"}, {"!!", priv}, {pub[:40], priv},
	} {
		if _, err := ParseVAPID(c.pub, c.priv); err == nil {
			t.Errorf("ParseVAPID(%q, %q) accepted", c.pub, c.priv)
		}
	}
}

func TestCheckKeys(t *testing.T) {
	const p256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	const auth = "BTBZMqHH6r4Tts7J_aSIgg"
	if err := CheckKeys(p256dh, auth); err != nil {
		t.Fatal(err)
	}
	if err := CheckKeys(p256dh, auth+"=="); err != nil {
		t.Fatalf("padding refused: %v", err)
	}
	notOnCurve := "BA" + p256dh[2:len(p256dh)-4] + "AAAA"
	for _, c := range []struct{ p, a string }{
		{"", auth}, {p256dh, ""}, {p256dh[:80], auth}, {p256dh, auth[:10]}, {notOnCurve, auth},
		{p256dh, "BTBZMqHH6r4Tts7J_aSIggAA"}, {"not base64!", auth},
	} {
		if err := CheckKeys(c.p, c.a); err == nil {
			t.Errorf("CheckKeys(%q, %q) accepted", c.p, c.a)
		}
	}
}
