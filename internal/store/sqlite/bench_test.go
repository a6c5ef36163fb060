package sqlite

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

// benchWorld is a realistic small account: benchRooms open rooms, each
// with every one of benchUsers users as a member, so every post also
// marks unread markers.
const (
	benchUsers = 20
	benchRooms = 8
)

func benchSetup(b *testing.B) (*Store, []chat.User, []chat.Room) {
	b.Helper()
	s := openTest(b, Options{})
	admin, allTalk := seed(b, s)
	ctx := context.Background()
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

// BenchmarkCreateMessage posts one message at a time: each waits for its
// own commit, so this is the latency of an uncontended post.
func BenchmarkCreateMessage(b *testing.B) {
	s, users, rooms := benchSetup(b)
	ctx := context.Background()
	i := 0
	cpu0 := processCPU()
	start := time.Now()
	for b.Loop() {
		if _, _, _, err := s.CreateMessage(ctx, benchMessage(users, rooms, i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(i), "cpu-µs/msg")
}

// BenchmarkCreateMessageParallel posts from many goroutines at once (the
// shape of a busy server), which is where group commit pays off.
func BenchmarkCreateMessageParallel(b *testing.B) {
	s, users, rooms := benchSetup(b)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(64) // 64 × GOMAXPROCS concurrent posters
	before := s.WriteStats()
	cpu0 := processCPU()
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
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	after := s.WriteStats()
	b.ReportMetric(float64(n.Load())/elapsed.Seconds(), "msgs/s")
	// CPU per message is steadier than wall time on a shared machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(n.Load()), "cpu-µs/msg")
	if batches := after.Batches - before.Batches; batches > 0 {
		b.ReportMetric(float64(after.Jobs-before.Jobs)/float64(batches), "jobs/batch")
	}
}

// BenchmarkMessagesPage reads the newest page of a busy room (40
// messages with their creators and mentions).
func BenchmarkMessagesPage(b *testing.B) {
	s, users, rooms := benchSetup(b)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 2000 {
		wg.Go(func() {
			if _, _, _, err := s.CreateMessage(ctx, benchMessage(users, rooms, i)); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	for b.Loop() {
		msgs, err := s.Messages(ctx, rooms[0].ID, store.Page{Limit: 40})
		if err != nil || len(msgs) != 40 {
			b.Fatal(len(msgs), err)
		}
	}
}
