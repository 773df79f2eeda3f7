package transport

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// TestEarlyIOPub drives the holding logic step by step: "pub X" publishes
// X, "sub" makes a client subscribe, "poll" and "stop" are what the
// watcher does. sent is what reached the socket, in order.
func TestEarlyIOPub(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps string
		sent  string
	}{
		{"subscriber first: nothing held", "sub pub a pub b", "a b"},
		{"held until a publish finds the subscriber", "pub a pub b sub pub c", "a b c"},
		{"held until the watcher finds the subscriber", "pub busy pub idle sub poll", "busy idle"},
		{"poll without subscriber keeps holding", "pub a poll poll sub poll pub b", "a b"},
		{"nobody came: held messages dropped, later ones sent", "pub a stop pub b", "b"},
		{"only the latest are held", heldSteps(maxEarlyHeld+2) + " sub poll", heldSent(2, maxEarlyHeld+2)},
		{"after the first subscriber nothing is held again", "sub pub a poll pub b", "a b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			subscribed := false
			var sent []string
			e := newEarlyIOPub(func() bool { return subscribed }, func(f [][]byte) error {
				sent = append(sent, string(f[0]))
				return nil
			})
			steps := strings.Fields(tc.steps)
			for i := 0; i < len(steps); i++ {
				switch steps[i] {
				case "pub":
					i++
					e.publish([][]byte{[]byte(steps[i])})
				case "sub":
					subscribed = true
				case "poll":
					e.poll()
				case "stop":
					e.stop()
				default:
					t.Fatalf("bad step %q", steps[i])
				}
			}
			if have := strings.Join(sent, " "); have != tc.sent {
				t.Errorf("sent: have %q want %q", have, tc.sent)
			}
		})
	}
}

func heldSteps(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "pub m%d ", i)
	}
	return strings.TrimSpace(b.String())
}

func heldSent(from, to int) string {
	var s []string
	for i := from; i < to; i++ {
		s = append(s, fmt.Sprintf("m%d", i))
	}
	return strings.Join(s, " ")
}

// A status published before any client subscribed reaches the client that
// subscribes afterwards, in order, without the kernel publishing again:
// what jupyter_client's wait_for_ready needs after its first
// kernel_info_reply.
func TestIOPubBeforeSubscriberIsDelivered(t *testing.T) {
	s := listenLoopback(t)
	for _, body := range []string{"busy", "idle"} {
		if err := s.Send(IOPub, [][]byte{[]byte("kernel.status"), []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	sub := zmq4.NewSub(context.Background())
	defer sub.Close()
	if err := sub.Dial(s.Info().Endpoint(s.Info().IOPubPort)); err != nil {
		t.Fatal(err)
	}
	if err := sub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 4)
	go func() {
		for {
			m, err := sub.Recv()
			if err != nil {
				return
			}
			got <- string(m.Frames[len(m.Frames)-1])
		}
	}()
	var have []string
	timeout := time.After(3 * time.Second)
	for len(have) < 2 {
		select {
		case b := <-got:
			have = append(have, b)
		case <-timeout:
			t.Fatalf("received %q within 3 s, want busy and idle", have)
		}
	}
	if !slices.Equal(have, []string{"busy", "idle"}) {
		t.Errorf("received %q, want [busy idle]", have)
	}
}
