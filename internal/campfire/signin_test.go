package campfire_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/campfire-go/campfire/internal/broker/memory"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/render"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/store/sqlite"
)

// racing runs before just before each session is created: the place where
// a concurrent password change would land.
type racing struct {
	session.Store
	before func()
}

func (r *racing) Create(ctx context.Context, userID int64, ip, ua string) (string, chat.Session, error) {
	if f := r.before; f != nil {
		r.before = nil
		f()
	}
	return r.Store.Create(ctx, userID, ip, ua)
}

// A sign-in that checked the old password before a password change
// committed, but created its session after the change listed the sessions
// to revoke, must not leave a session behind (attack finding: 20 of 180
// such sessions survived across three instances).
func TestSignInRacingPasswordChange(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs := &racing{Store: &session.DB{Store: st}}
	core := campfire.New(st, rs, memory.New(0), render.New(), campfire.Options{BcryptCost: 4},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	_, admin, err := core.SetUp(ctx, campfire.Signup{AccountName: "A", Name: "Ada", Email: "ada@example.com", Password: "old password"}, campfire.Client{})
	if err != nil {
		t.Fatal(err)
	}
	rs.before = func() {
		pw := "new password"
		if _, err := core.UpdateProfile(ctx, admin, campfire.ProfileUpdate{Password: &pw}); err != nil {
			t.Error(err)
		}
	}
	token, _, err := core.SignIn(ctx, "ada@example.com", "old password", campfire.Client{IP: "192.0.2.1"})
	if e, ok := chat.AsError(err); !ok || e.Code != "invalid_credentials" {
		t.Fatalf("sign-in with the password changed under it: token %q, err %v; want invalid_credentials", token, err)
	}
	left, err := st.UserSessions(ctx, admin.ID)
	if err != nil || len(left) != 0 {
		t.Fatalf("sessions left: %v %v", left, err)
	}
	if _, _, err := core.SignIn(ctx, "ada@example.com", "new password", campfire.Client{IP: "192.0.2.1"}); err != nil {
		t.Fatalf("sign-in with the new password: %v", err)
	}
}
