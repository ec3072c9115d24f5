// Package localcloud serves the local SQS and SNS on one loopback port, the way relay's
// developers and tests reach them with the unmodified AWS SDKs.
//
// The server routes each request by protocol: SQS's AWS JSON 1.0 requests carry an
// X-Amz-Target header, and everything else goes to SNS's query protocol. It counts calls by
// action and can inject the errors AWS returns, at a seeded rate per action.
package localcloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/relay-pipeline/relay/internal/localcloud/sns"
	"github.com/relay-pipeline/relay/internal/localcloud/sqs"
)

// DefaultAddr is the address `relay cloud` listens on when none is given.
const DefaultAddr = "127.0.0.1:4566"

// ObserverHeader marks a request that relay's own tooling makes to watch the pipeline, such
// as progress polling and DLQ accounting. The server counts such requests apart, in
// ObserverCalls, so that Calls holds only the pipeline's calls, and never injects faults
// into them.
const ObserverHeader = "X-Relay-Observer"

// Config configures a Server. The zero value serves on an ephemeral loopback port.
type Config struct {
	// Addr is the listen address. Empty means 127.0.0.1:0, an ephemeral loopback port.
	Addr string
	// AccountID and Region appear in ARNs and queue URLs. Empty means 000000000000 and
	// us-east-1.
	AccountID string
	Region    string
	// Logger receives the server's own logs. Nil discards them.
	Logger *slog.Logger
	// Faults injects AWS errors into a share of calls. Nil injects none.
	Faults *FaultConfig
}

// Server is a running local SQS and SNS. Create it with NewServer and stop it with Close.
type Server struct {
	listener net.Listener
	http     *http.Server
	sqs      *sqs.Service
	sns      *sns.Service
	calls    *callCounter
	observer *callCounter
	faults   *faultInjector
	invoker  *switchableInvoker
	logger   *slog.Logger
	done     chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// NewServer listens on cfg.Addr and starts serving SQS and SNS. It returns an error when the
// address cannot be bound.
func NewServer(cfg Config) (*Server, error) {
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	faults, err := newFaultInjector(cfg.Faults)
	if err != nil {
		return nil, err
	}

	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("local cloud: listen on %s: %w (pass another address, or stop the process using it)", addr, err)
	}
	baseURL := "http://" + listener.Addr().String()

	s := &Server{
		listener: listener,
		calls:    newCallCounter(),
		observer: newCallCounter(),
		faults:   faults,
		invoker:  &switchableInvoker{},
		logger:   logger,
		done:     make(chan struct{}),
	}
	s.sqs = sqs.NewService(sqs.Config{
		AccountID: cfg.AccountID,
		Region:    cfg.Region,
		BaseURL:   baseURL,
		Logger:    logger.With("service", "sqs"),
	})
	s.sns = sns.NewService(sns.Config{
		AccountID: cfg.AccountID,
		Region:    cfg.Region,
		BaseURL:   baseURL,
		Queues:    queueAdapter{s.sqs},
		Functions: s.invoker,
		Logger:    logger.With("service", "sns"),
	})
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// A ReceiveMessage long poll lasts up to 20 s before it writes its response.
		WriteTimeout: 45 * time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	go func() {
		defer close(s.done)
		if err := s.http.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("local cloud stopped serving", "addr", listener.Addr().String(), "err", err)
		}
	}()
	logger.Info("local cloud listening", "addr", listener.Addr().String())
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// URL returns the endpoint URL for the SDKs, such as http://127.0.0.1:4566.
func (s *Server) URL() string { return "http://" + s.Addr() }

// SQS returns the SQS service, for in-process use by tests and the local pipeline.
func (s *Server) SQS() *sqs.Service { return s.sqs }

// SNS returns the SNS service, for in-process use by tests and the local pipeline.
func (s *Server) SNS() *sns.Service { return s.sns }

// SetFunctionInvoker sets where SNS delivers to lambda subscriptions. Deliveries made before
// it is set fail, as they do on AWS for a function that does not exist.
func (s *Server) SetFunctionInvoker(invoker sns.FunctionInvoker) { s.invoker.set(invoker) }

// Calls returns the number of API calls served so far, by "service:Action", injected faults
// included and calls made with ObserverHeader left out.
func (s *Server) Calls() map[string]int64 { return s.calls.snapshot() }

// ObserverCalls returns the number of calls made with ObserverHeader, by "service:Action".
func (s *Server) ObserverCalls() map[string]int64 { return s.observer.snapshot() }

// InjectedFaults returns the number of faults injected so far, by "service:Action".
func (s *Server) InjectedFaults() map[string]int64 { return s.faults.counts() }

// ServeHTTP routes a request to SQS or SNS, after counting it and maybe injecting a fault.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(ObserverHeader) != "" {
		if sqs.IsRequest(r) {
			s.observer.add("sqs:" + sqs.Action(r))
			s.sqs.ServeHTTP(w, r)
			return
		}
		if sns.IsRequest(r) {
			s.observer.add("sns:" + sns.Action(r))
		}
		s.sns.ServeHTTP(w, r)
		return
	}

	if sqs.IsRequest(r) {
		action := "sqs:" + sqs.Action(r)
		s.calls.add(action)
		if fault, ok := s.faults.draw(action); ok {
			sqs.WriteError(w, fault.status, fault.code, fault.message)
			return
		}
		s.sqs.ServeHTTP(w, r)
		return
	}

	if sns.IsRequest(r) {
		action := "sns:" + sns.Action(r)
		s.calls.add(action)
		if fault, ok := s.faults.draw(action); ok {
			sns.WriteError(w, fault.status, fault.code, fault.message)
			return
		}
	}
	s.sns.ServeHTTP(w, r)
}

// Close stops accepting requests, waits up to 5 s for those in flight, and stops both
// services. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		// Wake long polls first, so Shutdown does not wait out their 20 s.
		s.sqs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.closeErr = s.http.Shutdown(ctx)
		<-s.done
		s.sns.Close()
		s.logger.Info("local cloud stopped", "addr", s.Addr())
	})
	return s.closeErr
}

// queueAdapter delivers SNS messages to local queues.
type queueAdapter struct{ sqs *sqs.Service }

func (q queueAdapter) DeliverToQueue(_ context.Context, queueARN, body string, attrs map[string]sns.MessageAttribute) error {
	var converted map[string]sqs.MessageAttribute
	if len(attrs) > 0 {
		converted = make(map[string]sqs.MessageAttribute, len(attrs))
		for name, attr := range attrs {
			converted[name] = sqs.MessageAttribute{DataType: attr.DataType, StringValue: attr.StringValue, BinaryValue: attr.BinaryValue}
		}
	}
	_, err := q.sqs.SendToARN(queueARN, body, converted)
	return err
}

// switchableInvoker lets the Lambda runtime be attached after the server starts, because the
// runtime needs the server's URL for its functions' endpoints.
type switchableInvoker struct {
	mu      sync.RWMutex
	invoker sns.FunctionInvoker
}

func (v *switchableInvoker) set(invoker sns.FunctionInvoker) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.invoker = invoker
}

func (v *switchableInvoker) InvokeAsync(ctx context.Context, functionARN string, payload []byte) error {
	v.mu.RLock()
	invoker := v.invoker
	v.mu.RUnlock()
	if invoker == nil {
		return fmt.Errorf("function %s not found: no Lambda runtime is attached to the local cloud", functionARN)
	}
	return invoker.InvokeAsync(ctx, functionARN, payload)
}
