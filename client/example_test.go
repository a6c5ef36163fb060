package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/campfire-go/campfire/client"
)

// A one-shot poster over the bot API, as a deploy script would use it: the
// bot key is the only credential (CAMPFIRE_BOT_KEY; an admin gets it from
// CreateBot or `campfire admin create-bot`).
func ExampleBotClient_Post() {
	c, err := client.New(os.Getenv("CAMPFIRE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	room, err := strconv.ParseInt(os.Getenv("CAMPFIRE_ROOM"), 10, 64)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := c.Bot(os.Getenv("CAMPFIRE_BOT_KEY")).Post(ctx, room, "Deployed **v2.4** to production")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("posted message", m.ID)
}

// Sign in, then act as that person.
func ExampleClient_SignIn() {
	ctx := context.Background()
	c, err := client.New("http://localhost:3000")
	if err != nil {
		log.Fatal(err)
	}
	s, err := c.SignIn(ctx, "ada@example.com", "correct horse battery")
	if err != nil {
		log.Fatal(err)
	}
	c = c.WithToken(s.Token)
	me, err := c.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in as", me.Name)
}

// Refusals carry the contract's code; a 429 says when to try again.
func ExampleError() {
	ctx := context.Background()
	c, _ := client.New("http://localhost:3000", client.WithToken(os.Getenv("CAMPFIRE_TOKEN")))
	_, err := c.PostMessage(ctx, 1, "hello", "")
	var e *client.Error
	switch {
	case errors.As(err, &e) && e.Code == "rate_limited":
		fmt.Println("slow down for", e.RetryAfter)
	case errors.As(err, &e) && e.Status == 404:
		fmt.Println("no such room, or not yours")
	case err != nil:
		log.Fatal(err)
	}
}

// Catch up on a room's whole history, then follow it live: the cable
// replays every message after seq 0 and keeps going across reconnects.
func ExampleCable_SubscribeSince() {
	ctx := context.Background()
	c, _ := client.New("http://localhost:3000", client.WithToken(os.Getenv("CAMPFIRE_TOKEN")))
	cable, err := c.Dial(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer cable.Close()
	const room = 1
	if err := cable.SubscribeSince(ctx, room, 0); err != nil {
		log.Fatal(err)
	}
	for ev := range cable.Events() {
		switch ev := ev.(type) {
		case client.MessageCreated:
			fmt.Printf("#%d %s: %s\n", ev.Message.Seq, ev.Message.Creator.Name, ev.Message.Body)
		case client.Reconnected:
			fmt.Println("back after", ev.Downtime)
		}
	}
}
