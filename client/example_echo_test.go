package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"sync"

	"github.com/campfire-go/campfire/client"
)

// An echo bot: it listens on the cable in every room it is in, and answers
// each message that mentions it. It signs in as a person (an account made
// for it: bot keys do not open the cable), with the address and token in
// CAMPFIRE_URL and CAMPFIRE_TOKEN.
func Example_echoBot() {
	c, err := client.New(os.Getenv("CAMPFIRE_URL"), client.WithToken(os.Getenv("CAMPFIRE_TOKEN")))
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := echoBot(ctx, c, nil); err != nil {
		log.Fatal(err)
	}
}

// echoBot answers mentions until ctx ends. ready, when set, is closed once
// it listens.
func echoBot(ctx context.Context, c *client.Client, ready chan<- struct{}) error {
	me, err := c.Me(ctx)
	if err != nil {
		return err
	}
	rooms, err := c.Rooms(ctx)
	if err != nil {
		return err
	}
	cable, err := c.Dial(ctx, nil)
	if err != nil {
		return err
	}
	defer cable.Close()
	var answering sync.WaitGroup
	defer answering.Wait() // before Close: every answer finishes first
	for _, r := range rooms {
		// Live only: answer what is said from now on.
		if err := cable.Subscribe(ctx, r.ID); err != nil {
			return fmt.Errorf("subscribing to %s: %w", r.Name, err)
		}
	}
	if ready != nil {
		close(ready)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-cable.Events():
			if !ok {
				return cable.Err() // the session was revoked
			}
			m, ok := ev.(client.MessageCreated)
			if !ok || m.Message.Creator.ID == me.ID || !m.Message.MentionsUser(me.ID) {
				continue
			}
			// Answer on its own goroutine: the events keep flowing while
			// the post waits for its ack. Post retries with the same
			// client_message_id (derived from the message) cannot answer
			// twice.
			answering.Go(func() {
				reply := fmt.Sprintf("@%s said: %s", m.Message.Creator.Name, m.Message.Body)
				id := fmt.Sprintf("echo-%d", m.Message.ID)
				for range 3 {
					_, err := cable.Post(ctx, m.RoomID, reply, id)
					if !errors.Is(err, client.ErrNoAck) && !errors.Is(err, client.ErrDisconnected) {
						return
					}
				}
			})
		}
	}
}
