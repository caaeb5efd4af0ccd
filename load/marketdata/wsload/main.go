// Command wsload opens N graphql-transport-ws sessions subscribed to marketData and measures
// deliveries/s and ingest->client latency (client receive time minus tick receivedAtMs).
// Bounded: -duration of measurement after all sessions are up, -ramp-timeout for connecting.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

const query = `subscription($ids: [ID!]) { marketData(instrumentIds: $ids) {
  kind seq ticks { instrumentId bid ask sequence receivedAtMs } } }`

type tick struct {
	InstrumentID string  `json:"instrumentId"`
	Sequence     int64   `json:"sequence"`
	ReceivedAtMs float64 `json:"receivedAtMs"`
}

type message struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Payload struct {
		Data struct {
			MarketData struct {
				Kind  string `json:"kind"`
				Seq   int64  `json:"seq"`
				Ticks []tick `json:"ticks"`
			} `json:"marketData"`
		} `json:"data"`
	} `json:"payload"`
}

// histogram of latency in 1 ms buckets up to 60 s; lock-free increments.
type histogram struct{ buckets [60001]atomic.Int64 }

func (h *histogram) observe(ms float64) {
	i := int(ms)
	if i < 0 {
		i = 0
	}
	if i > 60000 {
		i = 60000
	}
	h.buckets[i].Add(1)
}

func (h *histogram) quantiles(qs ...float64) ([]float64, int64) {
	var total int64
	counts := make([]int64, len(h.buckets))
	for i := range h.buckets {
		counts[i] = h.buckets[i].Load()
		total += counts[i]
	}
	out := make([]float64, len(qs))
	for j, q := range qs {
		target := int64(q * float64(total))
		var seen int64
		for i, c := range counts {
			seen += c
			if seen >= target && total > 0 {
				out[j] = float64(i + 1)
				break
			}
		}
	}
	return out, total
}

type stats struct {
	measuring  atomic.Bool
	deliveries atomic.Int64
	ticks      atomic.Int64
	gaps       atomic.Int64
	resyncs    atomic.Int64
	errors     atomic.Int64
	connected  atomic.Int64
	lat        histogram
}

func session(ctx context.Context, url string, ids []string, st *stats, up *sync.WaitGroup, dials chan struct{}) {
	var once sync.Once
	done := func() { once.Do(up.Done) }
	defer done()
	// Bound in-flight handshakes so the server's accept backlog never overflows.
	dials <- struct{}{}
	released := false
	release := func() {
		if !released {
			released = true
			<-dials
		}
	}
	defer release()
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	conn, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	cancel()
	if err != nil {
		if st.errors.Add(1) == 1 {
			fmt.Fprintln(os.Stderr, "dial:", err)
		}
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 22)
	write := func(v any) error {
		b, _ := json.Marshal(v)
		return conn.Write(ctx, websocket.MessageText, b)
	}
	if write(map[string]any{"type": "connection_init", "payload": map[string]any{}}) != nil {
		st.errors.Add(1)
		return
	}
	sub := map[string]any{"type": "subscribe", "id": "md", "payload": map[string]any{
		"query": query, "variables": map[string]any{"ids": ids}}}
	lastSeq := int64(-1)
	onNext := func(now float64, m *nextMsg) {
		if lastSeq < 0 {
			st.connected.Add(1)
			release()
			done()
		} else if m.snapshot {
			st.resyncs.Add(1)
		} else if m.seq != lastSeq+1 {
			st.gaps.Add(1)
		}
		lastSeq = m.seq
		if st.measuring.Load() && !m.snapshot {
			st.deliveries.Add(1)
			st.ticks.Add(int64(len(m.recv)))
			for _, r := range m.recv {
				st.lat.observe(now - r)
			}
		}
	}
	var buf bytes.Buffer // reused for every message: no allocation per frame
	var next nextMsg
	for {
		data, err := readInto(ctx, conn, &buf)
		if err != nil {
			if ctx.Err() == nil && st.errors.Add(1) == 1 {
				fmt.Fprintln(os.Stderr, "read:", err)
			}
			return
		}
		now := float64(time.Now().UnixNano()) / 1e6
		if scanNext(data, &next) {
			onNext(now, &next)
			continue
		}
		var m message
		if json.Unmarshal(data, &m) != nil {
			st.errors.Add(1)
			continue
		}
		switch m.Type {
		case "connection_ack":
			if write(sub) != nil {
				st.errors.Add(1)
				return
			}
		case "ping":
			_ = write(map[string]any{"type": "pong"})
		case "next":
			md := m.Payload.Data.MarketData
			next.snapshot, next.seq, next.recv = md.Kind == "SNAPSHOT", md.Seq, next.recv[:0]
			for _, t := range md.Ticks {
				next.recv = append(next.recv, t.ReceivedAtMs)
			}
			onNext(now, &next)
		case "error":
			st.errors.Add(1)
			return
		}
	}
}

// readInto reads one whole message into buf (reset first) and returns its bytes.
func readInto(ctx context.Context, conn *websocket.Conn, buf *bytes.Buffer) ([]byte, error) {
	_, r, err := conn.Reader(ctx)
	if err != nil {
		return nil, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func main() {
	url := flag.String("url", "ws://127.0.0.1:8010/graphql/stream", "WebSocket URL")
	sessions := flag.Int("sessions", 100, "number of sessions")
	duration := flag.Duration("duration", 15*time.Second, "measurement window")
	rampTimeout := flag.Duration("ramp-timeout", 90*time.Second, "max time to connect all")
	rampRate := flag.Int("ramp-rate", 500, "new sessions per second")
	instruments := flag.String("instruments", "", "comma-separated instrument pool")
	perSession := flag.Int("per-session", 10, "instruments per session")
	selections := flag.Int("selections", 20, "distinct instrument sets")
	maxDials := flag.Int("max-dials", 256, "handshakes in flight at once")
	flag.Parse()

	pool := strings.Split(*instruments, ",")
	rng := rand.New(rand.NewSource(42))
	sets := make([][]string, *selections)
	for i := range sets {
		perm := rng.Perm(len(pool))[:*perSession]
		sort.Ints(perm)
		for _, p := range perm {
			sets[i] = append(sets[i], pool[p])
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	st := &stats{}
	var up sync.WaitGroup
	dials := make(chan struct{}, *maxDials)
	start := time.Now()
	for i := 0; i < *sessions; i++ {
		up.Add(1)
		go session(ctx, *url, sets[i%len(sets)], st, &up, dials)
		if *rampRate > 0 && (i+1)%*rampRate == 0 {
			time.Sleep(time.Second)
		}
	}
	waited := make(chan struct{})
	go func() { up.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(*rampTimeout):
	}
	ramp := time.Since(start)
	time.Sleep(2 * time.Second) // settle: initial snapshots out of the way
	st.measuring.Store(true)
	t0 := time.Now()
	time.Sleep(*duration)
	st.measuring.Store(false)
	elapsed := time.Since(t0).Seconds()
	cancel()
	q, n := st.lat.quantiles(0.5, 0.95, 0.99)
	out := map[string]any{
		"sessions": *sessions, "connected": st.connected.Load(), "errors": st.errors.Load(),
		"ramp_s": ramp.Seconds(), "window_s": elapsed,
		"deliveries": st.deliveries.Load(), "deliveries_per_s": float64(st.deliveries.Load()) / elapsed,
		"ticks_per_s": float64(st.ticks.Load()) / elapsed, "latency_samples": n,
		"p50_ms": q[0], "p95_ms": q[1], "p99_ms": q[2], "gaps": st.gaps.Load(), "resyncs": st.resyncs.Load(),
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	time.Sleep(200 * time.Millisecond)
	os.Exit(0)
}
