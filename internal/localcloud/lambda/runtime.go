// Package lambda runs Lambda functions' bootstrap binaries on this machine behind the Lambda
// Runtime API (2018-06-01), so the binaries that Lambda runs can be invoked locally. Invokes
// are synchronous (RequestResponse), asynchronous (Event, with Lambda's retries and an
// on-failure destination) or come through a Function URL endpoint.
//
// Each instance of a function is a bootstrap process with its own Runtime API server on a
// loopback port. Instances stay warm between invokes; a function runs at most
// Function.MaxInstances of them at once and starts them on demand.
package lambda

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults applied by New and Register when a field is zero.
const (
	DefaultRegion          = "us-east-1"
	DefaultAccountID       = "000000000000"
	DefaultTimeout         = 3 * time.Second // Lambda's default function timeout
	DefaultMemoryMiB       = 128
	DefaultMaxInstances    = 10
	DefaultAsyncRetries    = 2 // Lambda's default MaximumRetryAttempts
	DefaultAsyncRetryDelay = time.Minute
	DefaultAsyncQueueSize  = 10000
	DefaultMaxEventAge     = 6 * time.Hour // Lambda's default MaximumEventAgeInSeconds
	DefaultShutdownGrace   = 2 * time.Second
	DefaultDrainTimeout    = 5 * time.Second
)

// NoAsyncRetries as Function.MaxAsyncRetries turns off the retries of asynchronous invokes
// (MaximumRetryAttempts 0).
const NoAsyncRetries = -1

// ErrClosed is returned by invokes made after Close started, and by invokes that Close ended.
var ErrClosed = errors.New("lambda runtime is closed")

// Config configures a Runtime. The zero value works: region us-east-1, account
// 000000000000, logs of the functions discarded.
type Config struct {
	Region    string // default us-east-1
	AccountID string // default 000000000000

	// SQSEndpoint and SNSEndpoint become AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_SNS in
	// every function's environment when they are set.
	SQSEndpoint, SNSEndpoint string

	// LogOutput receives the stdout and stderr lines of every function, each prefixed with
	// "[name] ". Nil discards them.
	LogOutput io.Writer
	// Logger receives the runtime's own logs. Nil discards them.
	Logger *slog.Logger
	// Faults injects failures into invokes. Nil injects none.
	Faults *Faults

	// AsyncRetryDelay is the wait before the first retry of a failed asynchronous invoke;
	// retry n waits n times as long. Lambda waits about one minute, then two. Default 1m.
	AsyncRetryDelay time.Duration
	// AsyncQueueSize bounds each function's queue of accepted asynchronous invokes.
	// InvokeAsync returns ErrAsyncQueueFull when it is full. Default 10000.
	AsyncQueueSize int
	// ShutdownGrace is how long Close waits after SIGTERM before it sends SIGKILL to an
	// instance. Default 2s.
	ShutdownGrace time.Duration
	// DrainTimeout bounds how long Close keeps running queued asynchronous invokes before it
	// drops the rest. Default 5s.
	DrainTimeout time.Duration
}

// Runtime runs registered functions. Its methods are safe for concurrent use.
type Runtime struct {
	cfg    Config
	logger *slog.Logger
	logs   *logSink
	faults *faultInjector

	mu        sync.RWMutex
	functions map[string]*function
	servers   []*http.Server

	asyncClosing   atomic.Bool   // InvokeAsync rejects new events
	closing        atomic.Bool   // Invoke rejects new invokes, instances are not restarted
	stopWorkers    chan struct{} // closed when the asynchronous workers must stop
	workers        sync.WaitGroup
	retryCallbacks sync.WaitGroup // retry timers that were scheduled and have not finished

	closeOnce sync.Once
	closeErr  error
}

// New returns a Runtime with the defaults applied to cfg. It starts no process until a
// function is invoked.
func New(cfg Config) (*Runtime, error) {
	if err := applyDefaults(&cfg); err != nil {
		return nil, err
	}
	faults, err := newFaultInjector(cfg.Faults)
	if err != nil {
		return nil, err
	}

	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Runtime{
		cfg:         cfg,
		logger:      logger,
		logs:        &logSink{w: cfg.LogOutput},
		faults:      faults,
		functions:   map[string]*function{},
		stopWorkers: make(chan struct{}),
	}, nil
}

// applyDefaults checks cfg and fills its zero fields with the defaults.
func applyDefaults(cfg *Config) error {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if !accountIDPattern.MatchString(cfg.AccountID) {
		return fmt.Errorf("lambda runtime: AccountID %q is invalid: use 12 digits", cfg.AccountID)
	}

	if cfg.AsyncRetryDelay < 0 || cfg.AsyncQueueSize < 0 || cfg.ShutdownGrace < 0 || cfg.DrainTimeout < 0 {
		return errors.New("lambda runtime: AsyncRetryDelay, AsyncQueueSize, ShutdownGrace and DrainTimeout must not be negative")
	}
	if cfg.AsyncRetryDelay == 0 {
		cfg.AsyncRetryDelay = DefaultAsyncRetryDelay
	}
	if cfg.AsyncQueueSize == 0 {
		cfg.AsyncQueueSize = DefaultAsyncQueueSize
	}
	if cfg.ShutdownGrace == 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	return nil
}

var (
	accountIDPattern    = regexp.MustCompile(`^[0-9]{12}$`)
	functionNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
)

// FunctionARN returns the unqualified ARN of the function called name in this runtime's
// region and account, whether or not it is registered.
func (r *Runtime) FunctionARN(name string) string {
	return "arn:aws:lambda:" + r.cfg.Region + ":" + r.cfg.AccountID + ":function:" + name
}

// lookup finds a registered function by name, by ARN (optionally qualified with $LATEST) or
// by partial ARN (ACCOUNT:function:NAME).
func (r *Runtime) lookup(nameOrARN string) (*function, error) {
	name := nameOrARN
	if i := strings.Index(name, ":function:"); i >= 0 {
		prefix := name[:i]
		if strings.HasPrefix(prefix, "arn:") && prefix != "arn:aws:lambda:"+r.cfg.Region+":"+r.cfg.AccountID {
			return nil, fmt.Errorf("function ARN %q is not in region %s and account %s of the local runtime", nameOrARN, r.cfg.Region, r.cfg.AccountID)
		}
		name = name[i+len(":function:"):]
		if qualified, ok := strings.CutSuffix(name, ":$LATEST"); ok {
			name = qualified
		}
	}

	r.mu.RLock()
	f := r.functions[name]
	r.mu.RUnlock()
	if f == nil {
		return nil, fmt.Errorf("function %q not found: register it first", nameOrARN)
	}
	return f, nil
}

// StopInstances stops every running instance of the function (SIGTERM, then SIGKILL after
// Config.ShutdownGrace) and waits until they have exited, so that its next invoke is a cold
// start. An invoke that was running on a stopped instance fails with Runtime.ExitError.
func (r *Runtime) StopInstances(name string) error {
	f, err := r.lookup(name)
	if err != nil {
		return err
	}
	f.stopInstances()
	return nil
}

// ServeFunctionURL serves the function's Function URL endpoint on addr, which must be a
// loopback address ("127.0.0.1:0" picks a free port), until Close. It returns the
// endpoint's base URL, such as "http://127.0.0.1:43121".
func (r *Runtime) ServeFunctionURL(name, addr string) (string, error) {
	if _, err := r.lookup(name); err != nil {
		return "", err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("function URL address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("function URL address %q is not a loopback address: use 127.0.0.1:PORT", addr)
	}
	if r.closing.Load() || r.asyncClosing.Load() {
		return "", ErrClosed
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("function URL for %q: %w", name, err)
	}
	server := &http.Server{
		Handler:           r.FunctionURLHandler(name),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(r.logger.Handler(), slog.LevelDebug),
	}
	r.mu.Lock()
	if r.asyncClosing.Load() {
		r.mu.Unlock()
		_ = ln.Close()
		return "", ErrClosed
	}
	r.servers = append(r.servers, server)
	r.mu.Unlock()

	go func() {
		if err := server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.logger.Error("function URL server stopped", "function", name, "err", err)
		}
	}()
	r.logger.Info("function URL listening", "function", name, "url", "http://"+ln.Addr().String())
	return "http://" + ln.Addr().String(), nil
}

// Close stops the runtime. It rejects new asynchronous invokes and keeps running those
// already queued for up to Config.DrainTimeout, without retrying them again. It drops the
// rest and those waiting for a retry, logs each dropped request id and returns an error
// that counts them. Then it fails the synchronous invokes still queued with ErrClosed and
// stops every instance. Calling it again returns the first call's result.
func (r *Runtime) Close() error {
	r.closeOnce.Do(func() {
		r.closeErr = r.close()
	})
	return r.closeErr
}

func (r *Runtime) close() error {
	r.mu.Lock()
	r.asyncClosing.Store(true)
	servers := r.servers
	r.servers = nil
	functions := make([]*function, 0, len(r.functions))
	for _, f := range r.functions {
		functions = append(functions, f)
	}
	r.mu.Unlock()

	for _, s := range servers {
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.ShutdownGrace)
		_ = s.Shutdown(ctx)
		cancel()
	}

	droppedBefore := countDropped(functions)
	for _, f := range functions {
		f.cancelRetries()
	}
	r.drainAsync(functions)
	close(r.stopWorkers)
	r.workers.Wait()
	r.retryCallbacks.Wait()
	for _, f := range functions {
		f.dropQueuedAsync()
	}
	dropped := countDropped(functions) - droppedBefore

	r.closing.Store(true)
	for _, f := range functions {
		f.failQueued(ErrClosed)
	}
	var wg sync.WaitGroup
	for _, f := range functions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.stopInstances()
		}()
	}
	wg.Wait()

	if dropped > 0 {
		return fmt.Errorf("lambda runtime closed with %d asynchronous invokes not delivered (their request ids are in the runtime log)", dropped)
	}
	return nil
}

func countDropped(functions []*function) int64 {
	var n int64
	for _, f := range functions {
		n += f.stats.asyncDropped.Load()
	}
	return n
}

// drainAsync waits, for at most Config.DrainTimeout, until no function has a queued or
// running asynchronous invoke.
func (r *Runtime) drainAsync(functions []*function) {
	deadline := time.Now().Add(r.cfg.DrainTimeout)
	for time.Now().Before(deadline) {
		busy := false
		for _, f := range functions {
			if len(f.async) > 0 || f.asyncRunning.Load() > 0 {
				busy = true
				break
			}
		}
		if !busy {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
