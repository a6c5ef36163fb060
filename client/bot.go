package client

import (
	"context"
	"net/http"
)

// BotClient speaks Campfire's bot API: the bot key in the path is the only
// credential, and bodies are raw text. Any problem with the key, or a room
// the bot is not in, is a 404. It is safe for concurrent use.
//
// The bot API has no client_message_id, so BotClient never retries a post
// by itself: a post whose answer was lost may have been stored.
type BotClient struct {
	c   *Client
	key string
}

// Bot returns a client of the bot API with key ("<user_id>-<token>", from
// CreateBot or ResetBotKey), sharing c's base URL and connection pool.
func (c *Client) Bot(key string) *BotClient {
	cc := c.WithToken("")
	return &BotClient{c: cc, key: key}
}

func (b *BotClient) path(roomID int64, rest string) string {
	return "/rooms/" + itoa(roomID) + "/" + b.key + "/messages" + rest
}

func rawText(s string) rawBody { return rawBody{contentType: "text/plain; charset=utf-8", text: s} }

// Post posts text (Markdown) in a room as the bot. An empty text is 422
// body_blank.
func (b *BotClient) Post(ctx context.Context, roomID int64, text string) (*Message, error) {
	return b.c.message(ctx, request{method: http.MethodPost, path: b.path(roomID, ""), body: rawText(text)})
}

// Messages returns a page of a room's messages, with the same options as
// Client.Messages.
func (b *BotClient) Messages(ctx context.Context, roomID int64, opts ...MessagesOption) ([]Message, error) {
	return b.c.messages(ctx, request{method: http.MethodGet, path: b.path(roomID, ""), query: messagesQuery(opts)})
}

// Edit replaces the text of one of the bot's own messages.
func (b *BotClient) Edit(ctx context.Context, roomID, messageID int64, text string) (*Message, error) {
	return b.c.message(ctx, request{method: http.MethodPut, path: b.path(roomID, "/"+itoa(messageID)), body: rawText(text)})
}

// Delete deletes one of the bot's own messages.
func (b *BotClient) Delete(ctx context.Context, roomID, messageID int64) error {
	_, err := b.c.do(ctx, request{method: http.MethodDelete, path: b.path(roomID, "/"+itoa(messageID))}, nil)
	return err
}

// Boost boosts a message in the room with content.
func (b *BotClient) Boost(ctx context.Context, roomID, messageID int64, content string) (*Boost, error) {
	var bo Boost
	if _, err := b.c.do(ctx, request{method: http.MethodPost, path: b.path(roomID, "/"+itoa(messageID)+"/boosts"),
		body: rawText(content)}, &bo); err != nil {
		return nil, err
	}
	return &bo, nil
}
