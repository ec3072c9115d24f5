// Package sqs is a local Amazon SQS for development and tests. It serves the AWS JSON 1.0
// protocol that aws-sdk-go-v2 service/sqs (v1.27 and later) and the AWS SDK for JavaScript
// v3 use. It follows SQS's semantics for standard queues: delays, visibility timeouts,
// receive counts, redrive to dead-letter queues, message move tasks, retention, long
// polling, MD5 digests, and SQS's limits and errors.
//
// A Service holds all its state; create as many as needed with NewService. FIFO queues are
// not supported.
package sqs

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Config configures a Service. The zero value works: account 000000000000 in us-east-1,
// queue URLs on the host of each request, no logs and the system clock.
type Config struct {
	// AccountID appears in queue URLs and ARNs. Empty means "000000000000".
	AccountID string
	// Region appears in queue ARNs. Empty means "us-east-1".
	Region string
	// BaseURL starts every queue URL, which is BaseURL + "/" + AccountID + "/" + name, such
	// as http://127.0.0.1:4566/000000000000/jobs. Empty means "http://" + the request's Host.
	BaseURL string
	// Logger receives one line per failed request at debug level, server faults at error
	// level, and queue and move task events at info level. Nil discards logs.
	Logger *slog.Logger
	// Now is the clock for delays, visibility timeouts, retention and timestamps. Nil means
	// time.Now. Long polls wait in real time for the durations this clock computes, so a
	// test that moves a fake clock should receive with WaitTimeSeconds 0.
	Now func() time.Time
	// EnforceCooldowns turns on two SQS rules that slow down local test cycles: a queue
	// may be purged once per 60 s (PurgeQueueInProgress), and a deleted queue's name may be
	// reused after 60 s (QueueDeletedRecently). Off by default.
	EnforceCooldowns bool
}

// cooldown is how long SQS makes a client wait between purges of a queue, and before a
// deleted queue's name can be used again.
const cooldown = 60 * time.Second

// MessageAttribute is a message attribute for SendToARN. DataType is String, Number or
// Binary, optionally with a custom label (Number.float); Binary types use BinaryValue and
// the others StringValue.
type MessageAttribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// ErrQueueDoesNotExist is returned, wrapped, by SendToARN for an ARN that names no queue.
var ErrQueueDoesNotExist = errors.New("queue does not exist")

// Service is a local SQS. It is safe for concurrent use; each queue has its own lock.
type Service struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	mu        sync.RWMutex
	queues    map[string]*queue    // by name
	deletedAt map[string]time.Time // queue name -> deletion time, with EnforceCooldowns
	closed    chan struct{}
	closeOnce sync.Once
	tasks     sync.WaitGroup // running message move tasks
}

// NewService returns an empty local SQS configured by cfg.
func NewService(cfg Config) *Service {
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Service{
		cfg:       cfg,
		log:       logger,
		now:       now,
		queues:    make(map[string]*queue),
		deletedAt: make(map[string]time.Time),
		closed:    make(chan struct{}),
	}
}

// Close wakes every long poll, which then returns no messages, and stops the running message
// move tasks. It waits for the tasks to stop. It is safe to call more than once. The service
// still serves requests after Close, but long polls return at once.
func (s *Service) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.mu.RLock()
		for _, q := range s.queues {
			q.mu.Lock()
			if q.moveTask != nil {
				q.moveTask.cancel()
			}
			q.mu.Unlock()
		}
		s.mu.RUnlock()
	})
	s.tasks.Wait()
}

func (s *Service) queueARN(name string) string {
	return "arn:aws:sqs:" + s.cfg.Region + ":" + s.cfg.AccountID + ":" + name
}

func (s *Service) queueURL(baseURL, name string) string {
	return baseURL + "/" + s.cfg.AccountID + "/" + name
}

// queueByName returns the queue named name, or QueueDoesNotExist.
func (s *Service) queueByName(name string) (*queue, error) {
	s.mu.RLock()
	q := s.queues[name]
	s.mu.RUnlock()
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return q, nil
}

// queueByURL returns the queue that queueURL names. Only the path counts: its last two
// segments are the account id and the queue name, so the URL's host may be any name of this
// server.
func (s *Service) queueByURL(queueURL string) (*queue, error) {
	if queueURL == "" {
		return nil, errMissingParameter("QueueUrl")
	}
	u, err := url.Parse(queueURL)
	if err != nil {
		return nil, newError("InvalidAddress", "The address %s is not valid for this endpoint.", queueURL)
	}
	path := strings.Trim(u.Path, "/")
	slash := strings.LastIndexByte(path, '/')
	if slash < 0 {
		return nil, newError("InvalidAddress", "The address %s is not valid for this endpoint.", queueURL)
	}
	account, name := path[:slash], path[slash+1:]
	if i := strings.LastIndexByte(account, '/'); i >= 0 {
		account = account[i+1:]
	}
	if account != s.cfg.AccountID {
		return nil, errQueueDoesNotExist()
	}
	return s.queueByName(name)
}

// queueByARN returns the queue that arn names, or nil.
func (s *Service) queueByARN(arn string) *queue {
	prefix := s.queueARN("")
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.queues[name]
}

// sortedQueues returns the queues sorted by name.
func (s *Service) sortedQueues() []*queue {
	s.mu.RLock()
	list := make([]*queue, 0, len(s.queues))
	for _, q := range s.queues {
		list = append(list, q)
	}
	s.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	return list
}

// newMessageID returns a random UUID (version 4).
func newMessageID() [16]byte {
	var id [16]byte
	a, b := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		id[i] = byte(a >> (8 * i))
		id[8+i] = byte(b >> (8 * i))
	}
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}

// formatUUID appends id in the 8-4-4-4-12 hex form.
func formatUUID(b []byte, id [16]byte) []byte {
	const hexDigits = "0123456789abcdef"
	for i, v := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[v>>4], hexDigits[v&0x0f])
	}
	return b
}

func uuidString(id [16]byte) string {
	var b [36]byte
	return string(formatUUID(b[:0], id))
}

// SendToARN sends body with attrs to the queue with the ARN queueARN, as SNS does for its sqs
// subscriptions, and returns the new message's id. It applies the queue's delay and checks
// the same limits as SendMessage. An ARN that names no queue returns an error wrapping
// ErrQueueDoesNotExist.
func (s *Service) SendToARN(queueARN, body string, attrs map[string]MessageAttribute) (string, error) {
	q := s.queueByARN(queueARN)
	if q == nil {
		return "", fmt.Errorf("send to %s: %w", queueARN, ErrQueueDoesNotExist)
	}
	wire := make(map[string]wireAttribute, len(attrs))
	for name, a := range attrs {
		value := a.StringValue
		w := wireAttribute{DataType: a.DataType, BinaryValue: a.BinaryValue}
		if baseDataType(a.DataType) != "Binary" {
			w.StringValue = &value
		}
		wire[name] = w
	}
	m, err := s.newMessage(sendRequest{body: body, attributes: wire}, s.cfg.AccountID)
	if err == nil {
		err = s.enqueue(q, m, nil)
	}
	if err != nil {
		return "", fmt.Errorf("send to %s: %w", queueARN, err)
	}
	return uuidString(m.id), nil
}
