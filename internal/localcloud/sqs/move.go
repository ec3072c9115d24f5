package sqs

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// deadLetterQueue returns the queue that q's RedrivePolicy names, or nil.
func (s *Service) deadLetterQueue(q *queue) *queue {
	policy := q.redrive.Load()
	if policy == nil {
		return nil
	}
	return s.queueByARN(policy.deadLetterTargetARN)
}

// redrive adds messages that left source because they reached maxReceiveCount to dlq. They
// keep their id, body, attributes, sent time and receive count, and record source's ARN as
// DeadLetterQueueSourceArn. The caller holds no queue lock.
//
// NOTE: that the receive count carries over into the dead-letter queue follows reports of
// SQS's behaviour, not its documentation.
func (s *Service) redrive(source, dlq *queue, messages []*message, now time.Time) {
	if len(messages) == 0 {
		return
	}
	nowNS := now.UnixNano()
	dlq.mu.Lock()
	deleted := dlq.deleted
	if !deleted {
		for _, m := range messages {
			m.dlqSource = source.arn
			dlq.add(m, nowNS, nowNS)
		}
	}
	dlq.mu.Unlock()
	if deleted {
		s.log.Error("dead-letter queue deleted during redrive, messages dropped", "queue", source.name, "dead_letter_queue", dlq.name, "messages", len(messages))
		return
	}
	s.log.Info("messages moved to dead-letter queue", "queue", source.name, "dead_letter_queue", dlq.name, "messages", len(messages))
}

// Message move task statuses, as ListMessageMoveTasks reports them.
const (
	taskRunning   = "RUNNING"
	taskCompleted = "COMPLETED"
	taskCancelled = "CANCELLED"
	taskFailed    = "FAILED"
)

// moveTask is one StartMessageMoveTask: it moves the messages visible in a dead-letter queue
// when it starts to DestinationArn, or to the queue each message was redriven from.
type moveTask struct {
	handle         string
	sourceARN      string
	destinationARN string
	rate           int64 // messages per second, 0 for as fast as possible
	startedAt      int64 // unix ms
	toMove         int64
	moved          atomic.Int64
	cancel         context.CancelFunc

	mu      sync.Mutex
	status  string
	failure string
}

func (t *moveTask) finish(status, failure string) {
	t.mu.Lock()
	t.status, t.failure = status, failure
	t.mu.Unlock()
}

type startMessageMoveTaskInput struct {
	SourceArn                    string `json:"SourceArn"`
	DestinationArn               string `json:"DestinationArn"`
	MaxNumberOfMessagesPerSecond *int64 `json:"MaxNumberOfMessagesPerSecond"`
}

type taskHandleOutput struct {
	TaskHandle string `json:"TaskHandle"`
}

func (s *Service) startMessageMoveTask(c *call) (any, error) {
	var in startMessageMoveTaskInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.SourceArn == "" {
		return nil, errMissingParameter("SourceArn")
	}
	source := s.queueByARN(in.SourceArn)
	if source == nil {
		return nil, newError("ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	sources := s.deadLetterSources(source.arn)
	if len(sources) == 0 {
		return nil, errInvalidParameterValue("Source queue %s must be configured as a dead-letter queue of another queue.", in.SourceArn)
	}
	if in.DestinationArn != "" {
		if s.queueByARN(in.DestinationArn) == nil {
			return nil, newError("ResourceNotFoundException", "The resource that you specified for the DestinationArn parameter doesn't exist.")
		}
		if in.DestinationArn == in.SourceArn {
			return nil, errInvalidParameterValue("DestinationArn %s must differ from SourceArn.", in.DestinationArn)
		}
	}
	var rate int64
	if in.MaxNumberOfMessagesPerSecond != nil {
		rate = *in.MaxNumberOfMessagesPerSecond
		if rate < 1 || rate > maxMovesPerSecond {
			return nil, outOfRange("MaxNumberOfMessagesPerSecond", rate, 1, maxMovesPerSecond)
		}
	}
	// NOTE: messages sent to the dead-letter queue directly have no DeadLetterQueueSourceArn.
	// Without DestinationArn they go to the only source queue, and with several sources the
	// task fails on them; SQS's documentation does not say what it does.
	fallback := ""
	if len(sources) == 1 {
		fallback = sources[0]
	}

	now := s.now()
	ctx, cancel := context.WithCancel(context.Background())
	t := &moveTask{
		handle:         newTaskHandle(source.arn),
		sourceARN:      source.arn,
		destinationARN: in.DestinationArn,
		rate:           rate,
		startedAt:      now.UnixMilli(),
		cancel:         cancel,
		status:         taskRunning,
	}
	source.mu.Lock()
	if source.moveTask != nil {
		source.mu.Unlock()
		cancel()
		return nil, newError("UnsupportedOperation", "A message move task is already running for %s; only one may run per source queue. Cancel it or wait for it to finish.", source.arn)
	}
	source.maintain(now)
	t.toMove = int64(source.visible)
	source.moveTask = t
	source.mu.Unlock()

	s.tasks.Add(1)
	go s.runMoveTask(ctx, source, t, fallback)
	s.log.Info("message move task started", "queue", source.name, "destination", in.DestinationArn, "messages", t.toMove)
	return taskHandleOutput{t.handle}, nil
}

// deadLetterSources returns the ARNs of the queues whose RedrivePolicy names dlqARN.
func (s *Service) deadLetterSources(dlqARN string) []string {
	var arns []string
	for _, q := range s.sortedQueues() {
		if p := q.redrive.Load(); p != nil && p.deadLetterTargetARN == dlqARN {
			arns = append(arns, q.arn)
		}
	}
	return arns
}

func newTaskHandle(sourceARN string) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%016x:%s", rand.Uint64(), sourceARN))
}

// taskHandleSource returns the source queue ARN inside a task handle.
func taskHandleSource(handle string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(handle)
	if err != nil {
		return "", false
	}
	_, arn, ok := strings.Cut(string(raw), ":")
	return arn, ok
}

// runMoveTask moves t.toMove messages from source at t.rate messages per second, or in chunks
// of moveChunk without pause when t has no rate.
func (s *Service) runMoveTask(ctx context.Context, source *queue, t *moveTask, fallback string) {
	defer s.tasks.Done()
	status, failure := taskCompleted, ""
	defer func() {
		t.finish(status, failure)
		source.mu.Lock()
		if source.moveTask == t {
			source.moveTask = nil
		}
		source.pastTasks = append([]*moveTask{t}, source.pastTasks...)
		if len(source.pastTasks) > maxListMoveTasksResults {
			source.pastTasks = source.pastTasks[:maxListMoveTasksResults]
		}
		source.mu.Unlock()
		s.log.Info("message move task finished", "queue", source.name, "status", status, "moved", t.moved.Load(), "err", failure)
	}()

	const moveChunk = 1000
	chunk, tick := int64(moveChunk), time.Duration(0)
	if t.rate > 0 {
		tick = 100 * time.Millisecond
		if t.rate < 10 {
			tick = time.Second / time.Duration(t.rate)
		}
		chunk = max(1, t.rate*int64(tick)/int64(time.Second))
	}
	ticker := (*time.Ticker)(nil)
	if tick > 0 {
		ticker = time.NewTicker(tick)
		defer ticker.Stop()
	}

	for first := true; t.moved.Load() < t.toMove; first = false {
		if !first && ticker != nil {
			select {
			case <-ticker.C:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			status = taskCancelled
			return
		}
		n, err := s.moveChunk(source, t, min(chunk, t.toMove-t.moved.Load()), fallback)
		if err != nil {
			status, failure = taskFailed, err.Error()
			return
		}
		if n == 0 {
			return // the rest were received, deleted or expired meanwhile
		}
	}
}

// moveChunk moves up to n visible messages from source to their destinations and returns
// how many it moved.
func (s *Service) moveChunk(source *queue, t *moveTask, n int64, fallback string) (int64, error) {
	now := s.now()
	source.mu.Lock()
	source.maintain(now)
	var batch []*message
	for int64(len(batch)) < n {
		m := source.takeVisible()
		if m == nil {
			break
		}
		batch = append(batch, source.detachTaken(m))
	}
	source.mu.Unlock()
	if len(batch) == 0 {
		return 0, nil
	}

	byDestination := make(map[string][]*message)
	for _, m := range batch {
		dest := t.destinationARN
		if dest == "" {
			dest = m.dlqSource
		}
		if dest == "" {
			dest = fallback
		}
		byDestination[dest] = append(byDestination[dest], m)
	}

	nowNS := now.UnixNano()
	var failure error
	for dest, messages := range byDestination {
		q := s.queueByARN(dest)
		if q == nil {
			q = source // put them back, and fail the task
			failure = fmt.Errorf("destination queue %q of %d messages does not exist; pass DestinationArn", dest, len(messages))
		}
		q.mu.Lock()
		for _, m := range messages {
			if q != source {
				m.receiveCount, m.firstReceiveAt, m.dlqSource = 0, 0, ""
			}
			q.add(m, nowNS, nowNS)
		}
		q.mu.Unlock()
		if q != source {
			t.moved.Add(int64(len(messages)))
		}
	}
	return int64(len(batch)), failure
}

type listMessageMoveTasksInput struct {
	SourceArn  string `json:"SourceArn"`
	MaxResults *int64 `json:"MaxResults"`
}

type moveTaskEntry struct {
	TaskHandle                        string `json:"TaskHandle,omitempty"`
	Status                            string `json:"Status"`
	SourceArn                         string `json:"SourceArn"`
	DestinationArn                    string `json:"DestinationArn,omitempty"`
	MaxNumberOfMessagesPerSecond      *int64 `json:"MaxNumberOfMessagesPerSecond,omitempty"`
	ApproximateNumberOfMessagesMoved  int64  `json:"ApproximateNumberOfMessagesMoved"`
	ApproximateNumberOfMessagesToMove int64  `json:"ApproximateNumberOfMessagesToMove"`
	FailureReason                     string `json:"FailureReason,omitempty"`
	StartedTimestamp                  int64  `json:"StartedTimestamp"`
}

type listMessageMoveTasksOutput struct {
	Results []moveTaskEntry `json:"Results"`
}

func (s *Service) listMessageMoveTasks(c *call) (any, error) {
	var in listMessageMoveTasksInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.SourceArn == "" {
		return nil, errMissingParameter("SourceArn")
	}
	limit := int64(1)
	if in.MaxResults != nil {
		limit = *in.MaxResults
		if limit < 1 || limit > maxListMoveTasksResults {
			return nil, outOfRange("MaxResults", limit, 1, maxListMoveTasksResults)
		}
	}
	source := s.queueByARN(in.SourceArn)
	if source == nil {
		return nil, newError("ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.")
	}

	source.mu.Lock()
	var tasks []*moveTask
	if source.moveTask != nil {
		tasks = append(tasks, source.moveTask)
	}
	tasks = append(tasks, source.pastTasks...)
	source.mu.Unlock()

	out := listMessageMoveTasksOutput{Results: []moveTaskEntry{}}
	for _, t := range tasks {
		if int64(len(out.Results)) == limit {
			break
		}
		out.Results = append(out.Results, t.entry())
	}
	return out, nil
}

func (t *moveTask) entry() moveTaskEntry {
	t.mu.Lock()
	status, failure := t.status, t.failure
	t.mu.Unlock()
	e := moveTaskEntry{
		Status:                            status,
		SourceArn:                         t.sourceARN,
		DestinationArn:                    t.destinationARN,
		ApproximateNumberOfMessagesMoved:  t.moved.Load(),
		ApproximateNumberOfMessagesToMove: t.toMove,
		FailureReason:                     failure,
		StartedTimestamp:                  t.startedAt,
	}
	if status == taskRunning {
		e.TaskHandle = t.handle
	}
	if t.rate > 0 {
		rate := t.rate
		e.MaxNumberOfMessagesPerSecond = &rate
	}
	return e
}

type cancelMessageMoveTaskInput struct {
	TaskHandle string `json:"TaskHandle"`
}

type cancelMessageMoveTaskOutput struct {
	ApproximateNumberOfMessagesMoved int64 `json:"ApproximateNumberOfMessagesMoved"`
}

func (s *Service) cancelMessageMoveTask(c *call) (any, error) {
	var in cancelMessageMoveTaskInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.TaskHandle == "" {
		return nil, errMissingParameter("TaskHandle")
	}
	notFound := newError("ResourceNotFoundException", "No running message move task has the handle %s.", in.TaskHandle)
	arn, ok := taskHandleSource(in.TaskHandle)
	if !ok {
		return nil, notFound
	}
	source := s.queueByARN(arn)
	if source == nil {
		return nil, notFound
	}
	source.mu.Lock()
	t := source.moveTask
	source.mu.Unlock()
	if t == nil || t.handle != in.TaskHandle {
		return nil, notFound
	}
	t.cancel()
	return cancelMessageMoveTaskOutput{t.moved.Load()}, nil
}
