package app

import (
	"maps"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/realtime"
)

// coreLimits fills the core's limits from the operator's settings. What
// opts already sets wins (tests lift the posting limit that way); zero
// settings keep the core's defaults.
func coreLimits(l config.Limits, co campfire.Options) campfire.Options {
	if co.PostBurst == 0 && !l.Posts.IsZero() {
		co.PostBurst, co.PostPer = l.Posts.Burst, l.Posts.Per
	}
	if co.LoginBurst == 0 && !l.SignInIP.IsZero() {
		co.LoginBurst, co.LoginPer = l.SignInIP.Burst, l.SignInIP.Per
	}
	if co.SignInAccount.IsZero() {
		co.SignInAccount = l.SignInAccount
	}
	if co.Join.IsZero() {
		co.Join = l.Join
	}
	if co.Actions.IsZero() {
		co.Actions = l.Actions
	}
	if co.BotPosts.IsZero() {
		co.BotPosts = l.BotPosts
	}
	if co.BotPostOverrides == nil {
		co.BotPostOverrides = maps.Clone(l.BotOverrides)
	}
	if co.Limits == (chat.Limits{}) && l.MessageBytes > 0 {
		co.Limits = chat.DefaultLimits
		co.Limits.MessageBytes = l.MessageBytes
	}
	return co
}

// hubLimits applies the settings to the hub: sockets per account, and
// per-socket limits that follow the posting budget and message size the
// core was given.
func hubLimits(rc realtime.Config, l config.Limits, co campfire.Options) realtime.Config {
	if l.SocketsPerUser > 0 {
		rc.MaxConnsPerUser = l.SocketsPerUser
	}
	var rate float64
	if co.PostBurst > 0 && co.PostPer > 0 {
		rate = float64(co.PostBurst) / co.PostPer.Seconds()
	}
	return rc.FollowLimits(rate, co.PostBurst, co.Limits.MessageBytes)
}
