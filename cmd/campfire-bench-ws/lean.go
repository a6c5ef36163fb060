package main

// The lean subscriber client: raw sockets outside Go's network poller,
// read by a few goroutines with epoll (level-triggered), one read per
// ready socket and wake-up. A goroutine per socket costs the client about
// as much CPU per delivery as the server spends (a park, a wake-up and an
// extra read that finds nothing, per socket and message); on a machine
// that runs both, that CPU is taken from the server and its queueing adds
// to the latency measured. This client spends about half as much.

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// cableRequest is what a raw client needs to open socket i.
type cableRequest struct {
	addr   string // host:port
	path   string
	header http.Header
}

// rawSocket is one subscriber's socket, blocking while it is set up and
// nonblocking once it is handed to an epoll loop.
type rawSocket struct {
	fd   int
	pend []byte // the start of a frame that the last read cut short
}

func (s *rawSocket) close() { syscall.Close(s.fd) }

// dialRaw connects, performs the WebSocket handshake and subscribes to
// room, returning the room's seq from the subscribed frame.
func dialRaw(req cableRequest, room int64) (*rawSocket, int64, error) {
	tcp, err := net.ResolveTCPAddr("tcp4", req.addr)
	if err != nil {
		return nil, 0, err
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, 0, err
	}
	s := &rawSocket{fd: fd}
	fail := func(err error) (*rawSocket, int64, error) { s.close(); return nil, 0, err }
	sa := &syscall.SockaddrInet4{Port: tcp.Port}
	copy(sa.Addr[:], tcp.IP.To4())
	for attempt := 0; ; attempt++ {
		err = syscall.Connect(fd, sa)
		if err == nil {
			break
		}
		if attempt == 5 || !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.EINTR) {
			return fail(fmt.Errorf("connect: %w", err))
		}
		time.Sleep(100 * time.Millisecond << attempt)
	}
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	tv := syscall.NsecToTimeval(int64(30 * time.Second))
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)

	key := make([]byte, 16)
	rand.Read(key)
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n",
		req.path, req.addr, base64.StdEncoding.EncodeToString(key))
	for k, vs := range req.header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	if err := writeAll(fd, []byte(b.String())); err != nil {
		return fail(err)
	}
	buf := make([]byte, 0, 4096)
	for {
		if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
			if !bytes.HasPrefix(buf, []byte("HTTP/1.1 101 ")) {
				line, _, _ := bytes.Cut(buf, []byte("\r\n"))
				return fail(fmt.Errorf("handshake: %s", line))
			}
			s.pend = append(s.pend, buf[i+4:]...)
			break
		}
		n, err := readSome(fd, buf[len(buf):cap(buf)])
		if err != nil {
			return fail(fmt.Errorf("handshake: %w", err))
		}
		buf = buf[:len(buf)+n]
		if len(buf) == cap(buf) {
			return fail(errors.New("handshake: response too large"))
		}
	}

	sub := `{"type":"subscribe","room_id":` + strconv.FormatInt(room, 10) + `}`
	if err := writeAll(fd, maskedText([]byte(sub))); err != nil {
		return fail(err)
	}
	var seq int64
	for seq == 0 {
		var ferr error
		var done bool
		s.pend, ferr = frames(s.pend, func(op byte, payload []byte) bool {
			if op == opText && bytes.Contains(payload, []byte(`"error"`)) {
				ferr = fmt.Errorf("subscribe: %s", payload)
				return false
			}
			if op == opText && bytes.Contains(payload, []byte(`"subscribed"`)) {
				seq, done = intAfter(payload, `"seq":`), true
				return false
			}
			return true
		})
		if ferr != nil {
			return fail(ferr)
		}
		if done {
			break
		}
		chunk := make([]byte, 4096)
		n, err := readSome(fd, chunk)
		if err != nil {
			return fail(fmt.Errorf("subscribe: %w", err))
		}
		s.pend = append(s.pend, chunk[:n]...)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		return fail(err)
	}
	return s, seq, nil
}

func readSome(fd int, p []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, p)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, errors.New("connection closed")
		}
		return n, nil
	}
}

func writeAll(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := syscall.Write(fd, p)
		if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN) {
			continue
		}
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

const (
	opText  = 1
	opClose = 8
	opPing  = 9
)

// maskedText is a client's text frame (clients must mask, RFC 6455 5.3).
func maskedText(p []byte) []byte { return maskedFrame(0x80|opText, p) }

func maskedFrame(b0 byte, p []byte) []byte {
	f := []byte{b0}
	switch n := len(p); {
	case n <= 125:
		f = append(f, 0x80|byte(n))
	case n <= 0xffff:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = binary.BigEndian.AppendUint64(append(f, 0x80|127), uint64(n))
	}
	var key [4]byte
	rand.Read(key[:])
	f = append(f, key[:]...)
	for i, c := range p {
		f = append(f, c^key[i&3])
	}
	return f
}

var errFraming = errors.New("bad frame from the server (masked or fragmented)")

// frames calls f with each whole frame in b (server frames: unmasked,
// unfragmented) until f returns false, and returns what is left: the start
// of a frame, or the frames after the one f stopped at.
func frames(b []byte, f func(op byte, payload []byte) bool) ([]byte, error) {
	for len(b) >= 2 {
		b0, b1 := b[0], b[1]
		if b1&0x80 != 0 || b0&0x80 == 0 {
			return nil, errFraming
		}
		n, h := int(b1&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return b, nil
			}
			n, h = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return b, nil
			}
			n, h = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		if len(b) < h+n {
			return b, nil
		}
		payload := b[h : h+n]
		b = b[h+n:]
		if !f(b0&0x0f, payload) {
			return b, nil
		}
	}
	return b, nil
}

// leanRun reads every socket in socks with loops epoll goroutines until
// each has seen msgs bench messages, or stop is closed.
func leanRun(socks []*rawSocket, results []subscriber, msgs, loops int, stop <-chan struct{}) {
	var wg sync.WaitGroup
	loops = max(1, min(loops, len(socks)))
	for l := range loops {
		wg.Go(func() {
			var mine []int
			for i := l; i < len(socks); i += loops {
				mine = append(mine, i)
			}
			if err := epollLoop(socks, results, mine, msgs, stop); err != nil {
				for _, i := range mine {
					if results[i].err == nil && results[i].got < msgs {
						results[i].err = err
					}
				}
			}
		})
	}
	wg.Wait()
}

func epollLoop(socks []*rawSocket, results []subscriber, mine []int, msgs int, stop <-chan struct{}) error {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	defer syscall.Close(ep)
	left := 0
	for _, i := range mine {
		if results[i].got >= msgs {
			continue
		}
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(i)}
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, socks[i].fd, &ev); err != nil {
			return err
		}
		left++
	}
	var stopped atomic.Bool
	go func() { <-stop; stopped.Store(true) }()
	events := make([]syscall.EpollEvent, 256)
	buf := make([]byte, 256<<10)
	finish := func(i int, err error) {
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, socks[i].fd, nil)
		if err != nil && results[i].got < msgs {
			results[i].err = err
		}
		left--
	}
	for left > 0 && !stopped.Load() {
		n, err := syscall.EpollWait(ep, events, 100)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range events[:n] {
			i := int(ev.Fd)
			s, r := socks[i], &results[i]
			m, err := syscall.Read(s.fd, buf)
			if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil || m == 0 {
				finish(i, fmt.Errorf("read: %v (n=%d)", err, m))
				continue
			}
			now := time.Now()
			data := buf[:m]
			if len(s.pend) > 0 {
				s.pend = append(s.pend, data...)
				data = s.pend
			}
			var ferr error
			rest, err := frames(data, func(op byte, payload []byte) bool {
				switch op {
				case opText:
					r.record(payload, now)
				case opPing:
					if err := writeAll(s.fd, maskedFrame(0x80|0xA, payload)); err != nil {
						ferr = err
					}
				case opClose:
					code := 0
					if len(payload) >= 2 {
						code = int(binary.BigEndian.Uint16(payload))
					}
					ferr = fmt.Errorf("server closed the socket with %d %q", code, payload[min(2, len(payload)):])
					return false
				}
				return true
			})
			if err == nil {
				err = ferr
			}
			if err != nil {
				finish(i, err)
				continue
			}
			s.pend = append(s.pend[:0], rest...)
			if r.got >= msgs {
				finish(i, nil)
			}
		}
	}
	return nil
}
