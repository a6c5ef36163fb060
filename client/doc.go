// Package client is the Go client of Campfire's public API: the HTTP API
// under /api/v1, the bot API, and the real-time cable (WebSocket). It
// depends on the published contract (docs/api.md), not on the server's
// code, and is what bots, integrations and Campfire's own load tool are
// built on.
//
// # Quick start
//
//	c, err := client.New("https://chat.example.com")
//	if err != nil { … }
//	s, err := c.SignIn(ctx, "ada@example.com", "correct horse battery")
//	if err != nil { … }
//	c = c.WithToken(s.Token) // acts as Ada from now on
//
//	rooms, err := c.Rooms(ctx)
//	m, err := c.PostMessage(ctx, rooms[0].ID, "Hello **world**", "")
//
// Every call takes a context. A refusal is an *Error carrying the HTTP
// status, the contract's stable code ("not_found", "rate_limited", …) and,
// for a 429, when to retry:
//
//	var e *client.Error
//	if errors.As(err, &e) && e.Code == "rate_limited" {
//		time.Sleep(e.RetryAfter)
//	}
//
// Clients made with WithToken share one connection pool, so a program
// acting as many people keeps one.
//
// # Posting safely
//
// PostMessage sends a client_message_id (a fresh random one if you pass
// ""): the server stores a message once per id, so PostMessage retries by
// itself when the network fails, and so can you, with the same id.
//
// # Real time
//
// Dial opens the cable. Subscribe to rooms and read Events:
//
//	cable, err := c.Dial(ctx, nil)
//	if err != nil { … }
//	defer cable.Close()
//	if err := cable.SubscribeSince(ctx, roomID, 0); err != nil { … } // 0: the whole history
//	for ev := range cable.Events() {
//		switch ev := ev.(type) {
//		case client.MessageCreated:
//			fmt.Println(ev.Message.Seq, ev.Message.Creator.Name, ev.Message.Body)
//		case client.Reconnected:
//			// Edits made while away: c.Messages(ctx, roomID, client.UpdatedSince(t))
//		}
//	}
//
// The Cable reconnects by itself with jittered backoff and resumes every
// subscription from the last seq it delivered, so per room each message
// arrives once, in order, with no gap, even across disconnections and
// server restarts. Posting over the cable (Cable.Post) returns the
// server's ack; after a timeout or a disconnection, post again with the
// same client_message_id. See Cable for the exact guarantees and the
// slow-consumer policy.
//
// # Bots
//
// A bot created by an admin (CreateBot) posts with its key and nothing
// else, through the bot API:
//
//	bot := c.Bot(key)
//	_, err := bot.Post(ctx, roomID, "Deployed **v2.4** to production")
//
// Bot keys do not open the cable: a bot hears about mentions through its
// webhook. A program that should listen in real time signs in as a
// person (an account made for it) and uses Dial; see the echo bot example.
package client
