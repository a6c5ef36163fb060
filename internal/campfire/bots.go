package campfire

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/wire"
)

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// BotKey is how a bot authenticates: "<user_id>-<token>".
func BotKey(id int64, token string) string { return itoa(id) + "-" + token }

func (c *Core) cleanWebhookURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	if len(raw) > c.opts.Limits.WebhookURLSize {
		return "", chat.Invalid("invalid_webhook_url", "webhook_url is longer than %d bytes", c.opts.Limits.WebhookURLSize)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", chat.Invalid("invalid_webhook_url", "webhook_url must be an http:// or https:// URL")
	}
	return u.String(), nil
}

// CreateBot adds a bot (admin) and returns it with its key, shown once.
func (c *Core) CreateBot(ctx context.Context, admin chat.User, name, webhookURL string) (chat.User, string, error) {
	if err := requireAdmin(admin); err != nil {
		return chat.User{}, "", err
	}
	name, err := chat.CleanName("name", name, c.opts.Limits.UserNameRunes)
	if err != nil {
		return chat.User{}, "", err
	}
	hook, err := c.cleanWebhookURL(webhookURL)
	if err != nil {
		return chat.User{}, "", err
	}
	token := session.NewToken()
	u, err := c.store.CreateUser(ctx, store.NewUser{Name: name, Role: chat.RoleBot, BotTokenHash: session.Hash(token), WebhookURL: hook})
	if err != nil {
		return chat.User{}, "", err
	}
	return u, BotKey(u.ID, token), nil
}

// Bots lists bots (admin).
func (c *Core) Bots(ctx context.Context, admin chat.User) ([]chat.User, error) {
	if err := requireAdmin(admin); err != nil {
		return nil, err
	}
	return c.store.Bots(ctx)
}

func (c *Core) bot(ctx context.Context, admin chat.User, id int64) (chat.User, error) {
	if err := requireAdmin(admin); err != nil {
		return chat.User{}, err
	}
	u, err := c.store.User(ctx, id)
	if err != nil || u.Role != chat.RoleBot || !u.Active() {
		return chat.User{}, chat.NotFound("bot")
	}
	return u, nil
}

// ResetBotKey issues a new key; the old one stops working at once.
func (c *Core) ResetBotKey(ctx context.Context, admin chat.User, id int64) (chat.User, string, error) {
	if _, err := c.bot(ctx, admin, id); err != nil {
		return chat.User{}, "", err
	}
	token := session.NewToken()
	h := session.Hash(token)
	u, err := c.store.UpdateUser(ctx, id, store.UserUpdate{BotTokenHash: &h})
	return u, BotKey(id, token), notFoundAs(err, "bot")
}

// UpdateBot renames a bot or changes its webhook (admin).
func (c *Core) UpdateBot(ctx context.Context, admin chat.User, id int64, name, webhookURL *string) (chat.User, error) {
	if _, err := c.bot(ctx, admin, id); err != nil {
		return chat.User{}, err
	}
	var up store.UserUpdate
	if name != nil {
		n, err := chat.CleanName("name", *name, c.opts.Limits.UserNameRunes)
		if err != nil {
			return chat.User{}, err
		}
		up.Name = &n
	}
	if webhookURL != nil {
		h, err := c.cleanWebhookURL(*webhookURL)
		if err != nil {
			return chat.User{}, err
		}
		up.WebhookURL = &h
	}
	u, err := c.store.UpdateUser(ctx, id, up)
	return u, notFoundAs(err, "bot")
}

// DeleteBot deactivates a bot (admin).
func (c *Core) DeleteBot(ctx context.Context, admin chat.User, id int64) error {
	if _, err := c.bot(ctx, admin, id); err != nil {
		return err
	}
	return c.Deactivate(ctx, admin, id)
}

type webhookJob struct {
	bot  chat.User
	room chat.Room
	msg  chat.Message
}

// notifyBots queues a webhook call for every bot the message is for: bots
// it mentions and, in a direct room, every bot in it. The queue is bounded:
// when full, the call is dropped and logged rather than slowing posters.
func (c *Core) notifyBots(ctx context.Context, room chat.Room, m chat.Message) {
	if m.Creator.Role == chat.RoleBot {
		return // bots talking to bots could loop forever
	}
	if room.Type != chat.RoomDirect && len(m.Mentions) == 0 {
		return
	}
	var candidates []int64
	if room.Type == chat.RoomDirect {
		var err error
		if candidates, err = c.store.MemberIDs(ctx, room.ID); err != nil {
			c.log.Warn("listing direct room members for webhooks", "room", room.ID, "err", err)
			return
		}
	}
	candidates = append(candidates, m.Mentions...)
	slices.Sort(candidates)
	candidates = slices.Compact(candidates)
	candidates = without(candidates, m.CreatorID)
	if len(candidates) == 0 {
		return
	}
	users, err := c.store.UsersByIDs(ctx, candidates)
	if err != nil {
		c.log.Warn("loading bots for webhooks", "err", err)
		return
	}
	for _, u := range users {
		if u.Role != chat.RoleBot || !u.Active() || u.WebhookURL == "" {
			continue
		}
		select {
		case c.webhooks <- webhookJob{bot: u, room: room, msg: m}:
		default:
			c.log.Warn("webhook queue full; dropping call", "bot", u.ID, "message", m.ID)
		}
	}
}

func (c *Core) webhookWorker(ctx context.Context) {
	client := &http.Client{
		Timeout: c.opts.WebhookTimeout,
		// The admin chose the URL; a redirect would let the bot's server
		// send our request (and its reply into the room) somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for {
		select {
		case <-ctx.Done():
			return
		case job := <-c.webhooks:
			c.callWebhook(ctx, client, job)
		}
	}
}

// webhookPayload is what a bot's webhook receives.
type webhookPayload struct {
	User    wire.User    `json:"user"`
	Room    webhookRoom  `json:"room"`
	Message wire.Message `json:"message"`
}

type webhookRoom struct {
	ID   int64         `json:"id"`
	Name string        `json:"name"`
	Type chat.RoomType `json:"type"`
	// Path is where the bot posts its answers (append its key and /messages).
	Path string `json:"path"`
}

func (c *Core) callWebhook(ctx context.Context, client *http.Client, job webhookJob) {
	body, err := json.Marshal(webhookPayload{
		User:    wire.NewUser(job.msg.Creator, false),
		Room:    webhookRoom{ID: job.room.ID, Name: job.room.Name, Type: job.room.Type, Path: "/rooms/" + itoa(job.room.ID)},
		Message: wire.NewMessage(job.msg),
	})
	if err != nil {
		c.log.Error("encoding webhook", "err", err)
		return
	}
	log := c.log.With("bot", job.bot.ID, "message", job.msg.ID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.bot.WebhookURL, bytes.NewReader(body))
	if err != nil {
		log.Warn("webhook request", "err", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Campfire-Webhook")
	resp, err := client.Do(req)
	if err != nil {
		log.Warn("webhook call failed", "err", redactURLError(err))
		return
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, int64(c.opts.Limits.MessageBytes)+1))
	if err != nil || resp.StatusCode != http.StatusOK {
		log.Info("webhook answered without a reply", "status", resp.StatusCode)
		return
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if !strings.HasPrefix(mt, "text/") || len(strings.TrimSpace(string(reply))) == 0 {
		return
	}
	if _, _, err := c.PostMessage(ctx, job.bot, job.room.ID, string(reply), ""); err != nil {
		log.Info("posting webhook reply", "err", err)
	}
}

// redactURLError drops the URL from a client error: webhook URLs often hold
// secrets in their query strings, and logs must not.
func redactURLError(err error) string {
	var ue *url.Error
	if e, ok := err.(*url.Error); ok {
		ue = e
		return fmt.Sprintf("%s: %v", ue.Op, ue.Err)
	}
	return err.Error()
}
