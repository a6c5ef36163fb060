package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

// The same world as the SQLite store's benchmarks: benchRooms open rooms,
// each with every one of benchUsers users as a member, so every post also
// marks unread markers.
const (
	benchUsers = 20
	benchRooms = 8
)

func benchSetup(b *testing.B, opts Options) (*Store, []chat.User, []chat.Room) {
	b.Helper()
	s := openTest(b, schemaURL(b), opts)
	ctx := context.Background()
	_, admin, allTalk, err := s.Setup(ctx, store.SetupParams{AccountName: "Acme", JoinCode: "j", RoomName: "All Talk",
		Admin: store.NewUser{Name: "Ada", Email: "ada@example.com", PasswordHash: "h"}})
	if err != nil {
		b.Fatal(err)
	}
	users := []chat.User{admin}
	for i := 1; i < benchUsers; i++ {
		u, err := s.CreateUser(ctx, store.NewUser{Name: fmt.Sprint("user", i), Email: fmt.Sprintf("u%d@example.com", i)})
		if err != nil {
			b.Fatal(err)
		}
		users = append(users, u)
	}
	rooms := []chat.Room{allTalk}
	for i := 1; i < benchRooms; i++ {
		r, err := s.CreateRoom(ctx, store.NewRoom{Name: fmt.Sprint("room", i), Type: chat.RoomOpen, CreatorID: admin.ID})
		if err != nil {
			b.Fatal(err)
		}
		rooms = append(rooms, r)
	}
	return s, users, rooms
}

func benchMessage(users []chat.User, rooms []chat.Room, i int) store.NewMessage {
	u := users[i%len(users)]
	body := fmt.Sprintf("message %d from %s about the quarterly planning meeting", i, u.Name)
	return store.NewMessage{
		RoomID:          rooms[i%len(rooms)].ID,
		CreatorID:       u.ID,
		ClientMessageID: fmt.Sprintf("c-%d", i),
		Body:            body,
		BodyHTML:        "<p>" + body + "</p>",
		Mentions:        []int64{users[(i+1)%len(users)].ID},
		SkipUnread:      []int64{users[(i+2)%len(users)].ID},
		CreatedAt:       time.Now(),
	}
}

// BenchmarkCreateMessage posts one message at a time: the latency of an
// uncontended post (one round trip and one commit).
func BenchmarkCreateMessage(b *testing.B) {
	s, users, rooms := benchSetup(b, Options{})
	ctx := context.Background()
	i := 0
	start := time.Now()
	for b.Loop() {
		if _, _, _, err := s.CreateMessage(ctx, benchMessage(users, rooms, i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkCreateMessageParallel posts from many goroutines at once (the
// shape of a busy server) through the default pool of 20 connections.
// PostgreSQL's WAL group commit lets concurrent transactions share a flush;
// posts to one room still follow each other, each holding the room's lock
// until its commit.
func BenchmarkCreateMessageParallel(b *testing.B) {
	s, users, rooms := benchSetup(b, Options{})
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(64) // 64 × GOMAXPROCS concurrent posters
	before := s.PostStats()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			if _, _, _, err := s.CreateMessage(ctx, benchMessage(users, rooms, i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "msgs/s")
	after := s.PostStats()
	if batches := after.Batches - before.Batches; batches > 0 {
		b.ReportMetric(float64(after.Jobs-before.Jobs)/float64(batches), "posts/commit")
	}
}

// BenchmarkMessagesPage reads the newest page of a busy room (40
// messages with their creators and mentions).
func BenchmarkMessagesPage(b *testing.B) {
	s, users, rooms := benchSetup(b, Options{})
	ctx := context.Background()
	for i := range 800 {
		if _, _, _, err := s.CreateMessage(ctx, benchMessage(users, rooms, i)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		msgs, err := s.Messages(ctx, rooms[0].ID, store.Page{Limit: 40})
		if err != nil || len(msgs) != 40 {
			b.Fatal(len(msgs), err)
		}
	}
}
