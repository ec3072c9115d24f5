package sqs

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestQueueOrderAndCounts drives the queue's heaps and ring directly with random operations
// and checks the counts and order against a plain model.
func TestQueueOrderAndCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Unix(1_800_000_000, 0)
	q := newQueue("q", "arn", 1, defaultSettings(), now)
	type modelMessage struct{ visibleAt int64 }
	model := map[uint64]*modelMessage{}
	var live []*message

	for step := 0; step < 5000; step++ {
		nowNS := now.UnixNano()
		switch op := rng.IntN(10); {
		case op < 4: // send with a random delay of 0-3 s
			m := &message{sentAt: now.UnixMilli()}
			delay := int64(rng.IntN(4)) * 1e9
			q.add(m, nowNS+delay, nowNS)
			model[m.seq] = &modelMessage{visibleAt: nowNS + delay}
			live = append(live, m)
		case op < 7: // receive one with a random visibility of 0-3 s
			q.maintain(now)
			m := q.takeVisible()
			if m == nil {
				for seq, mm := range model {
					if mm.visibleAt <= nowNS {
						t.Fatalf("step %d: no visible message, but message %d is visible in the model", step, seq)
					}
				}
				continue
			}
			if mm := model[m.seq]; mm.visibleAt > nowNS {
				t.Fatalf("step %d: took message %d before it became visible", step, m.seq)
			}
			vis := int64(rng.IntN(4)) * 1e9
			q.hide(m, nowNS+vis)
			model[m.seq].visibleAt = nowNS + vis
		case op < 9: // delete a random message
			if len(live) == 0 {
				continue
			}
			i := rng.IntN(len(live))
			m := live[i]
			live = append(live[:i], live[i+1:]...)
			q.remove(m)
			delete(model, m.seq)
		default:
			now = now.Add(time.Duration(rng.IntN(1500)) * time.Millisecond)
		}

		q.maintain(now)
		if got := q.visible + q.inFlight + q.delayed; got != len(model) || len(q.messages) != len(model) || len(q.expiry) != len(model) {
			t.Fatalf("step %d: counts %d/%d/%d, messages %d, expiry %d, want %d in total", step, q.visible, q.inFlight, q.delayed, len(q.messages), len(q.expiry), len(model))
		}
		visible := 0
		for _, mm := range model {
			if mm.visibleAt <= now.UnixNano() {
				visible++
			}
		}
		if q.visible != visible {
			t.Fatalf("step %d: %d visible, model has %d", step, q.visible, visible)
		}
	}
}

func TestRingGrowsAndShrinks(t *testing.T) {
	var r ring
	for i := 0; i < 5000; i++ {
		r.push(&message{seq: uint64(i)})
	}
	r.pushFront(&message{seq: 9999})
	if got := r.pop().seq; got != 9999 {
		t.Fatalf("pop after pushFront = %d", got)
	}
	for i := 0; i < 5000; i++ {
		if got := r.pop().seq; got != uint64(i) {
			t.Fatalf("pop %d = %d", i, got)
		}
	}
	if r.len() != 0 || len(r.items) > 4096 {
		t.Fatalf("after draining: len %d, capacity %d", r.len(), len(r.items))
	}
}
