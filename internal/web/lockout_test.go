package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/campfire-go/campfire/internal/web"
	"github.com/campfire-go/campfire/internal/web/webtest"
)

// A stranger spending an account's sign-in budget from many addresses
// cannot lock its owner out: a browser that signed in before keeps its own
// budget (issue 11, item 7). The stranger still cannot keep guessing.
func TestStrangerCannotLockOwnerOut(t *testing.T) {
	s := webtest.New(t, webtest.Options{Deps: func(d *web.Deps) { d.TrustProxy = true }})
	s.Setup(t)
	s.Join(t, "Bea")
	s.Join(t, "Eve")
	ip := 0
	signIn := func(email, password string, device *http.Cookie) *webtest.Response {
		ip++
		req := s.NewRequest(t, "POST", "/api/v1/session", map[string]string{"email": email, "password": password}, "")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", ip)) // a fresh address each time
		if device != nil {
			req.AddCookie(device)
		}
		return s.Send(t, req)
	}
	deviceOf := func(res *webtest.Response) *http.Cookie {
		for _, c := range (&http.Response{Header: res.Header}).Cookies() {
			if c.Name == web.DeviceCookie {
				if !c.HttpOnly {
					t.Fatal("the device cookie is readable by scripts")
				}
				return c
			}
		}
		t.Fatalf("no %s cookie after signing in", web.DeviceCookie)
		return nil
	}
	res := signIn("bea@example.com", webtest.AdminPassword, nil)
	if res.Status != http.StatusCreated {
		t.Fatalf("owner's first sign-in: %d %s", res.Status, res.Body)
	}
	beaDevice := deviceOf(res)
	eveDevice := deviceOf(signIn("eve@example.com", webtest.AdminPassword, nil))

	limited := 0
	for range 25 {
		switch res := signIn("bea@example.com", "wrong password", nil); res.Status {
		case http.StatusTooManyRequests:
			limited++
		case http.StatusUnauthorized:
		default:
			t.Fatalf("stranger: %d %s", res.Status, res.Body)
		}
	}
	if limited == 0 {
		t.Fatal("25 wrong passwords from 25 addresses were never limited")
	}
	if res := signIn("bea@example.com", webtest.AdminPassword, nil); res.Status != http.StatusTooManyRequests {
		t.Fatalf("a stranger with the right password after the budget is spent: %d, want 429", res.Status)
	}
	if res := signIn("bea@example.com", webtest.AdminPassword, eveDevice); res.Status != http.StatusTooManyRequests {
		t.Fatalf("a stranger with his own account's device cookie: %d, want 429", res.Status)
	}
	forged := &http.Cookie{Name: web.DeviceCookie, Value: beaDevice.Value[:len(beaDevice.Value)-2] + "xx"}
	if res := signIn("bea@example.com", webtest.AdminPassword, forged); res.Status != http.StatusTooManyRequests {
		t.Fatalf("a forged device cookie: %d, want 429", res.Status)
	}
	if res := signIn("bea@example.com", webtest.AdminPassword, beaDevice); res.Status != http.StatusCreated {
		t.Fatalf("the owner from her known device: %d %s, want 201", res.Status, res.Body)
	}
}
