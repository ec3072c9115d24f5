package sqs

// messageHeap is a binary min-heap of messages in the order O gives. Each message records
// its position in the heap, so that removing or re-sorting one is O(log n) with no search.
type messageHeap[O heapOrder] []*message

// heapOrder orders the messages of a messageHeap and names the field that records a
// message's position in it.
type heapOrder interface {
	less(a, b *message) bool
	position(m *message) *int32
}

// byVisibleAt orders pending messages by the time they become visible, then by sequence.
type byVisibleAt struct{}

func (byVisibleAt) less(a, b *message) bool {
	if a.visibleAt != b.visibleAt {
		return a.visibleAt < b.visibleAt
	}
	return a.seq < b.seq
}

func (byVisibleAt) position(m *message) *int32 { return &m.pendingIndex }

// bySentAt orders messages by the time they were sent, for the retention period.
type bySentAt struct{}

func (bySentAt) less(a, b *message) bool { return a.sentAt < b.sentAt }

func (bySentAt) position(m *message) *int32 { return &m.expiryIndex }

// pendingHeap contains the delayed and in-flight messages, earliest visible first.
type pendingHeap = messageHeap[byVisibleAt]

// expiryHeap contains every message of a queue, oldest first.
type expiryHeap = messageHeap[bySentAt]

func (h messageHeap[O]) less(i, j int) bool {
	var order O
	return order.less(h[i], h[j])
}

func (h messageHeap[O]) swap(i, j int) {
	var order O
	h[i], h[j] = h[j], h[i]
	*order.position(h[i]) = int32(i)
	*order.position(h[j]) = int32(j)
}

func (h *messageHeap[O]) push(m *message) {
	var order O
	*order.position(m) = int32(len(*h))
	*h = append(*h, m)
	h.up(len(*h) - 1)
}

func (h *messageHeap[O]) pop() *message {
	m := (*h)[0]
	h.removeAt(0)
	return m
}

// remove takes m out of the heap; it does nothing when m is not in it.
func (h *messageHeap[O]) remove(m *message) {
	var order O
	if i := *order.position(m); i >= 0 {
		h.removeAt(int(i))
	}
}

// fix restores the order after m's key changed.
func (h *messageHeap[O]) fix(m *message) {
	var order O
	i := int(*order.position(m))
	if !h.down(i) {
		h.up(i)
	}
}

func (h *messageHeap[O]) removeAt(i int) {
	var order O
	old := *h
	last := len(old) - 1
	m := old[i]
	if i != last {
		old.swap(i, last)
	}
	old[last] = nil
	*h = old[:last]
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
	*order.position(m) = -1
}

func (h messageHeap[O]) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			return
		}
		h.swap(i, parent)
		i = parent
	}
}

// down moves the element at i towards the leaves and reports whether it moved.
func (h messageHeap[O]) down(i int) bool {
	start := i
	n := len(h)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		if right := child + 1; right < n && h.less(right, child) {
			child = right
		}
		if !h.less(child, i) {
			break
		}
		h.swap(i, child)
		i = child
	}
	return i > start
}
