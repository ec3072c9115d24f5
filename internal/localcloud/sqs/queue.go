package sqs

import (
	"sync"
	"sync/atomic"
	"time"
)

// messageState is the stage of a message's life in its queue. It decides which
// approximate count includes the message.
type messageState uint8

const (
	stateDelayed  messageState = iota + 1 // in pending, never received, waiting out its delay
	stateInFlight                         // in pending, received, waiting out its visibility timeout
	stateVisible                          // in ready, waiting for a receive
	stateGone                             // deleted, expired, purged or moved; a stale entry of ready may still point to it
)

// message is one message in a queue. The queue's mutex guards every field. A message that
// moves to another queue (redrive, move task) is copied, and the other queue owns the copy.
type message struct {
	seq   uint64 // unique in its queue; receipt handles name the message by it
	id    [16]byte
	body  string
	attrs []messageAttribute // sorted by name

	bodyMD5     [16]byte
	attrsMD5    [16]byte // over all attrs; valid when len(attrs) > 0
	traceHeader string   // the AWSTraceHeader system attribute
	senderID    string
	dlqSource   string // the ARN of the queue that redrove the message here, if any

	sentAt         int64  // unix ms, kept when the message moves between queues
	firstReceiveAt int64  // unix ms, 0 until the first receive
	visibleAt      int64  // unix ns at which a delayed or in-flight message becomes visible
	receivedAt     int64  // unix ns of the receive that made it in flight
	receipt        uint64 // nonce of the current receipt handle, 0 when it has none
	receiveCount   int32

	pendingIndex int32 // position in queue.pending, -1 when not there
	expiryIndex  int32 // position in queue.expiry, -1 when not there
	state        messageState
}

// queueSettings are a queue's configurable attributes.
type queueSettings struct {
	delaySeconds           int64
	maximumMessageSize     int64
	messageRetentionPeriod int64
	receiveWaitTimeSeconds int64
	visibilityTimeout      int64
	policy                 string
	redrivePolicy          *redrivePolicy
	redriveAllowPolicy     string
	kmsMasterKeyID         string
	kmsDataKeyReusePeriod  int64
	sqsManagedSSE          bool
}

func defaultSettings() queueSettings {
	return queueSettings{
		maximumMessageSize:     maxMessageSizeLimit,
		messageRetentionPeriod: 345600, // 4 days
		visibilityTimeout:      30,
		kmsDataKeyReusePeriod:  300,
		sqsManagedSSE:          true,
	}
}

// redrivePolicy is a queue's RedrivePolicy attribute.
type redrivePolicy struct {
	deadLetterTargetARN string
	maxReceiveCount     int32
	raw                 string // as the client set it, returned by GetQueueAttributes
}

// queue is one SQS queue. Its messages are kept by the time they become visible: delayed and
// in-flight messages in the pending heap ordered by visibleAt, visible ones in the ready ring
// in the order they became visible. Receives take from the front of ready after moving the
// due messages of pending there, so a receive costs O(log n) per message and never scans.
type queue struct {
	name      string
	arn       string
	handleKey uint64 // random per queue, so a receipt handle of another queue is rejected
	createdAt int64  // unix s

	// redrive mirrors settings.redrivePolicy, so receives can find the dead-letter queue
	// without taking mu.
	redrive atomic.Pointer[redrivePolicy]

	mu          sync.Mutex
	settings    queueSettings
	tags        map[string]string
	modifiedAt  int64 // unix s
	lastPurgeAt time.Time
	deleted     bool
	nextSeq     uint64
	messages    map[uint64]*message
	pending     pendingHeap
	expiry      expiryHeap
	ready       ring
	visible     int // messages in stateVisible
	inFlight    int // messages in stateInFlight
	delayed     int // messages in stateDelayed
	waiters     int
	signal      chan struct{} // closed and replaced when a long poll may find a message
	moveTask    *moveTask     // the running message move task from this queue, if any
	pastTasks   []*moveTask   // finished move tasks, most recent first
}

func newQueue(name, arn string, handleKey uint64, settings queueSettings, now time.Time) *queue {
	q := &queue{
		name:      name,
		arn:       arn,
		handleKey: handleKey,
		createdAt: now.Unix(),
		settings:  settings,
		messages:  make(map[uint64]*message),
		signal:    make(chan struct{}),
	}
	q.modifiedAt = q.createdAt
	q.redrive.Store(settings.redrivePolicy)
	return q
}

// add stores a new or moved message, delayed until visibleAt (unix ns). The caller holds mu.
func (q *queue) add(m *message, visibleAt, now int64) {
	q.nextSeq++
	m.seq = q.nextSeq
	m.receipt = 0
	m.pendingIndex, m.expiryIndex = -1, -1
	q.messages[m.seq] = m
	q.expiry.push(m)
	if visibleAt > now {
		m.visibleAt = visibleAt
		m.state = stateDelayed
		q.delayed++
		q.pending.push(m)
	} else {
		m.state = stateVisible
		q.visible++
		q.ready.push(m)
	}
	q.wake()
}

// remove takes m out of the queue for good. The caller holds mu.
func (q *queue) remove(m *message) {
	switch m.state {
	case stateDelayed:
		q.delayed--
		q.pending.remove(m)
	case stateInFlight:
		q.inFlight--
		q.pending.remove(m)
	case stateVisible:
		q.visible-- // its entry in ready is skipped when it reaches the front
	case stateGone:
		return
	}
	q.expiry.remove(m)
	delete(q.messages, m.seq)
	m.state = stateGone
	m.receipt = 0
}

// maintain expires messages past the retention period and makes due pending messages
// visible. The caller holds mu. Every operation that reads or takes messages calls it first,
// so no timer runs per queue.
func (q *queue) maintain(now time.Time) {
	nowNS := now.UnixNano()
	retentionMS := q.settings.messageRetentionPeriod * 1000
	cutoff := now.UnixMilli() - retentionMS
	for len(q.expiry) > 0 && q.expiry[0].sentAt <= cutoff {
		q.remove(q.expiry[0])
	}
	for len(q.pending) > 0 && q.pending[0].visibleAt <= nowNS {
		m := q.pending.pop()
		if m.state == stateDelayed {
			q.delayed--
		} else {
			q.inFlight--
		}
		m.state = stateVisible
		q.visible++
		q.ready.push(m)
	}
}

// takeVisible removes and returns the next visible message, or nil. The caller holds mu and
// has called maintain.
func (q *queue) takeVisible() *message {
	for q.ready.len() > 0 {
		m := q.ready.pop()
		if m.state == stateVisible {
			q.visible--
			return m
		}
	}
	return nil
}

// hide makes the visible message m, just taken by takeVisible, in flight until visibleAt.
func (q *queue) hide(m *message, visibleAt int64) {
	m.state = stateInFlight
	m.visibleAt = visibleAt
	q.inFlight++
	q.pending.push(m)
}

// unhide returns a taken visible message to the front of the queue, for a receive that
// could not deliver it.
func (q *queue) unhide(m *message) {
	m.state = stateVisible
	q.visible++
	q.ready.pushFront(m)
	q.wake()
}

// setVisibleAt moves the in-flight message m to become visible at visibleAt (unix ns).
func (q *queue) setVisibleAt(m *message, visibleAt int64) {
	m.visibleAt = visibleAt
	q.pending.fix(m)
	q.wake()
}

// purge deletes every message. The caller holds mu.
func (q *queue) purge() {
	for _, m := range q.messages {
		m.state = stateGone
		m.receipt = 0
	}
	q.messages = make(map[uint64]*message)
	q.pending = nil
	q.expiry = nil
	q.ready = ring{}
	q.visible, q.inFlight, q.delayed = 0, 0, 0
}

// nextVisibleAt returns when the next pending message becomes visible (unix ns), or 0.
func (q *queue) nextVisibleAt() int64 {
	if len(q.pending) == 0 {
		return 0
	}
	return q.pending[0].visibleAt
}

// wake signals the long polls waiting on q to look for messages again. The caller holds mu.
func (q *queue) wake() {
	if q.waiters > 0 {
		close(q.signal)
		q.signal = make(chan struct{})
	}
}

// ring is a growable FIFO of messages.
type ring struct {
	items []*message
	head  int
	n     int
}

func (r *ring) len() int { return r.n }

func (r *ring) push(m *message) {
	r.grow()
	r.items[(r.head+r.n)%len(r.items)] = m
	r.n++
}

func (r *ring) pushFront(m *message) {
	r.grow()
	r.head = (r.head - 1 + len(r.items)) % len(r.items)
	r.items[r.head] = m
	r.n++
}

func (r *ring) pop() *message {
	m := r.items[r.head]
	r.items[r.head] = nil
	r.head = (r.head + 1) % len(r.items)
	r.n--
	if r.n == 0 {
		r.head = 0
	}
	r.shrink()
	return m
}

func (r *ring) grow() {
	if r.n < len(r.items) {
		return
	}
	size := 2 * len(r.items)
	if size < 16 {
		size = 16
	}
	r.resize(size)
}

// shrink gives memory back after a large backlog drains.
func (r *ring) shrink() {
	if len(r.items) > 1024 && r.n < len(r.items)/8 {
		r.resize(len(r.items) / 4)
	}
}

func (r *ring) resize(size int) {
	items := make([]*message, size)
	for i := 0; i < r.n; i++ {
		items[i] = r.items[(r.head+i)%len(r.items)]
	}
	r.items = items
	r.head = 0
}
