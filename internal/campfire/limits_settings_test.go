package campfire

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/ratelimit"
)

// namedStore remembers which limit it is.
type namedStore struct {
	name string
	rate ratelimit.Rate
}

func (namedStore) AllowN(context.Context, string, int) (bool, time.Duration, error) {
	return true, 0, nil
}

// The operator's limits reach the limiters with their own names and rates;
// a bot spends its own budget when it has one, else the bots', else
// everyone's; join shares the sign-in budget unless given one.
func TestLimitSettings(t *testing.T) {
	built := map[string]ratelimit.Rate{}
	factory := func(name string, burst int, per time.Duration) ratelimit.Store {
		built[name] = ratelimit.Rate{Burst: burst, Per: per}
		return namedStore{name, ratelimit.Rate{Burst: burst, Per: per}}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := New(nil, nil, nil, nil, Options{BcryptCost: 4, Limiters: factory}, log)
	want := map[string]string{"login": "10/3m", "email": "20/10m", "device": "20/10m", "post": "30/10s", "action": "20/1m",
		"signin_link": "1/4h"} // a sign-in link is used once within its life
	if len(built) != len(want) {
		t.Errorf("defaults built %v, want %v", built, want)
	}
	for name, r := range want {
		if built[name].String() != r {
			t.Errorf("default %s = %v, want %s", name, built[name], r)
		}
	}
	bot := chat.User{ID: 12, Role: chat.RoleBot}
	if c.joinLimit.(namedStore).name != "login" || c.postBudget(bot).(namedStore).name != "post" {
		t.Errorf("defaults: join %v, bot %v; want login and post", c.joinLimit, c.postBudget(bot))
	}

	clear(built)
	c = New(nil, nil, nil, nil, Options{
		BcryptCost: 4, Limiters: factory,
		PostBurst: 5, PostPer: time.Second,
		SignInAccount: ratelimit.Rate{Burst: 3, Per: time.Hour},
		Join:          ratelimit.Rate{Burst: 2, Per: time.Minute},
		Actions:       ratelimit.Rate{Burst: 7, Per: time.Minute},
		BotPosts:      ratelimit.Rate{Burst: 100, Per: 10 * time.Second},
		BotPostOverrides: map[int64]ratelimit.Rate{
			12: {Burst: 40, Per: time.Second},
		},
	}, log)
	for name, r := range map[string]string{
		"email": "3/1h", "device": "3/1h", "join": "2/1m", "action": "7/1m",
		"post": "5/1s", "post.bot": "100/10s", "post.bot.12": "40/1s",
	} {
		if built[name].String() != r {
			t.Errorf("%s = %v, want %s", name, built[name], r)
		}
	}
	for _, tc := range []struct {
		u    chat.User
		want string
	}{
		{bot, "post.bot.12"},
		{chat.User{ID: 13, Role: chat.RoleBot}, "post.bot"},
		{chat.User{ID: 12, Role: chat.RoleMember}, "post"}, // ids of overrides are bots' only
		{chat.User{ID: 14, Role: chat.RoleAdmin}, "post"},
	} {
		if got := c.postBudget(tc.u).(namedStore).name; got != tc.want {
			t.Errorf("user %d (%s) spends %s, want %s", tc.u.ID, tc.u.Role, got, tc.want)
		}
	}
	if c.joinLimit.(namedStore).name != "join" {
		t.Errorf("join spends %v, want its own", c.joinLimit)
	}
}
