package config

import "testing"

func TestPushFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	p, err := PushFromEnv(env("VAPID_PUBLIC_KEY", " pub ", "VAPID_PRIVATE_KEY", "priv", "VAPID_SUBJECT", "mailto:ops@example.com"))
	if err != nil || p.PublicKey != "pub" || p.PrivateKey != "priv" || p.Subject != "mailto:ops@example.com" {
		t.Fatalf("%+v, %v", p, err)
	}
	if p, err := PushFromEnv(env()); err != nil || p != (Push{}) {
		t.Fatalf("unset: %+v, %v", p, err)
	}
	for _, bad := range [][]string{
		{"VAPID_PUBLIC_KEY", "pub"},
		{"VAPID_PRIVATE_KEY", "priv"},
		{"VAPID_SUBJECT", "ops@example.com"},
		{"VAPID_SUBJECT", "http://example.com"},
	} {
		if _, err := PushFromEnv(env(bad...)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
