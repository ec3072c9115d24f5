package lambda

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Function describes one function as the stack declares it.
type Function struct {
	Name      string // 1-64 letters, digits, hyphens or underscores
	Bootstrap string // path of the bootstrap binary; its folder is LAMBDA_TASK_ROOT
	// Timeout bounds each invoke, default 3s. An invoke that runs longer is reported as
	// timed out. Values under Lambda's minimum of 1s are allowed, for tests.
	Timeout   time.Duration
	MemoryMiB int // AWS_LAMBDA_FUNCTION_MEMORY_SIZE, 128-10240, default 128
	Env       map[string]string

	// MaxInstances bounds the instances that run at once (reserved concurrency). Default 10.
	MaxInstances int

	// OnLogLine, when set, is called with every stdout and stderr line of the function,
	// without the prefix and the newline. It runs on the instance's output goroutine, so it
	// must not block; the slice is a copy the callee may keep.
	OnLogLine func(line []byte)

	// OnFailure receives the on-failure destination record of an asynchronous invoke whose
	// retries are exhausted or whose event got older than MaxEventAge. Nil drops such
	// events after logging them.
	OnFailure func(ctx context.Context, record []byte) error
	// MaxAsyncRetries is the number of retries of a failed asynchronous invoke, 0-2.
	// Zero means Lambda's default of 2; NoAsyncRetries means none.
	MaxAsyncRetries int
	// MaxEventAge bounds how long an asynchronous event is kept for retries. Default 6h.
	MaxEventAge time.Duration
}

// reservedEnv are the variables Lambda sets itself and rejects in a function's configuration.
var reservedEnv = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

// Dummy credentials given to every function, so the AWS SDKs sign requests to the local
// cloud without looking for real ones.
const (
	localAccessKeyID     = "AKIALOCALRELAY000000"
	localSecretAccessKey = "local-relay-secret-access-key"
	localSessionToken    = "local-relay-session-token"
)

// function is a registered function: its configuration, its instances and its queues.
type function struct {
	rt    *Runtime
	cfg   Function
	arn   string
	env   []string // without the per-instance variables
	queue chan *invocation

	mu        sync.Mutex
	instances map[*instance]struct{}
	waiting   int // instances that are starting or waiting in invocation/next
	nextID    int

	dispatched atomic.Uint64 // invocations handed to instances; the fault sequence number
	stats      functionCounters

	async        chan *asyncEvent
	asyncRunning atomic.Int64
	retries      map[*asyncEvent]*time.Timer
}

// Register adds a function. It checks the configuration and the bootstrap but starts no
// process: the first invoke does.
func (r *Runtime) Register(fn Function) error {
	if err := normalize(&fn); err != nil {
		return err
	}

	f := &function{
		rt:        r,
		cfg:       fn,
		arn:       r.FunctionARN(fn.Name),
		env:       r.baseEnv(fn),
		queue:     make(chan *invocation, 1024),
		instances: map[*instance]struct{}{},
		async:     make(chan *asyncEvent, r.cfg.AsyncQueueSize),
		retries:   map[*asyncEvent]*time.Timer{},
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.asyncClosing.Load() {
		return ErrClosed
	}
	if _, ok := r.functions[fn.Name]; ok {
		return fmt.Errorf("function %q is already registered", fn.Name)
	}
	r.functions[fn.Name] = f
	for range fn.MaxInstances {
		r.workers.Add(1)
		go f.asyncWorker()
	}
	r.logger.Info("function registered", "function", fn.Name, "bootstrap", fn.Bootstrap,
		"timeout", fn.Timeout, "memory_mib", fn.MemoryMiB, "max_instances", fn.MaxInstances)
	return nil
}

// normalize checks fn and applies the defaults.
func normalize(fn *Function) error {
	if !functionNamePattern.MatchString(fn.Name) {
		return fmt.Errorf("function name %q is invalid: use 1-64 letters, digits, hyphens or underscores", fn.Name)
	}
	if fn.Bootstrap == "" {
		return fmt.Errorf("function %q: Bootstrap is empty: set the path of the bootstrap binary", fn.Name)
	}
	path, err := filepath.Abs(fn.Bootstrap)
	if err != nil {
		return fmt.Errorf("function %q: bootstrap %q: %w", fn.Name, fn.Bootstrap, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("function %q: bootstrap not found: %w (build it first)", fn.Name, err)
	}
	if !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("function %q: bootstrap %q is not an executable file", fn.Name, path)
	}
	fn.Bootstrap = path

	switch {
	case fn.Timeout < 0:
		return fmt.Errorf("function %q: Timeout %s is negative", fn.Name, fn.Timeout)
	case fn.Timeout == 0:
		fn.Timeout = DefaultTimeout
	case fn.Timeout > 15*time.Minute:
		return fmt.Errorf("function %q: Timeout %s is out of range: Lambda allows at most 15m", fn.Name, fn.Timeout)
	}
	if fn.MemoryMiB == 0 {
		fn.MemoryMiB = DefaultMemoryMiB
	}
	if fn.MemoryMiB < 128 || fn.MemoryMiB > 10240 {
		return fmt.Errorf("function %q: MemoryMiB %d is out of range 128-10240", fn.Name, fn.MemoryMiB)
	}
	if fn.MaxInstances == 0 {
		fn.MaxInstances = DefaultMaxInstances
	}
	if fn.MaxInstances < 1 || fn.MaxInstances > 1000 {
		return fmt.Errorf("function %q: MaxInstances %d is out of range 1-1000", fn.Name, fn.MaxInstances)
	}
	switch {
	case fn.MaxAsyncRetries == 0:
		fn.MaxAsyncRetries = DefaultAsyncRetries
	case fn.MaxAsyncRetries == NoAsyncRetries:
		fn.MaxAsyncRetries = 0
	case fn.MaxAsyncRetries < 0 || fn.MaxAsyncRetries > 2:
		return fmt.Errorf("function %q: MaxAsyncRetries %d is out of range 0-2 (use NoAsyncRetries for 0)", fn.Name, fn.MaxAsyncRetries)
	}
	if fn.MaxEventAge == 0 {
		fn.MaxEventAge = DefaultMaxEventAge
	}
	if fn.MaxEventAge < 0 {
		return fmt.Errorf("function %q: MaxEventAge %s is negative", fn.Name, fn.MaxEventAge)
	}
	for key := range fn.Env {
		if slices.Contains(reservedEnv, key) {
			return fmt.Errorf("function %q: environment variable %s is reserved by Lambda: remove it", fn.Name, key)
		}
		if key == "" || strings.ContainsAny(key, "=\x00") {
			return fmt.Errorf("function %q: environment variable name %q is invalid", fn.Name, key)
		}
	}
	return nil
}

// baseEnv returns the environment Lambda gives fn's processes, except the variables that
// differ between instances. The parent's environment is not inherited.
func (r *Runtime) baseEnv(fn Function) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT=" + filepath.Dir(fn.Bootstrap),
		"AWS_REGION=" + r.cfg.Region,
		"AWS_DEFAULT_REGION=" + r.cfg.Region,
		"AWS_LAMBDA_FUNCTION_NAME=" + fn.Name,
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d", fn.MemoryMiB),
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + fn.Name,
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_ACCESS_KEY_ID=" + localAccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + localSecretAccessKey,
		"AWS_SESSION_TOKEN=" + localSessionToken,
		"AWS_EC2_METADATA_DISABLED=true",
		"GOMAXPROCS=" + strconv.Itoa(vcpus(fn.MemoryMiB)),
	}
	if r.cfg.SQSEndpoint != "" {
		env = append(env, "AWS_ENDPOINT_URL_SQS="+r.cfg.SQSEndpoint)
	}
	if r.cfg.SNSEndpoint != "" {
		env = append(env, "AWS_ENDPOINT_URL_SNS="+r.cfg.SNSEndpoint)
	}
	keys := make([]string, 0, len(fn.Env))
	for key := range fn.Env {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		env = setEnv(env, key, fn.Env[key])
	}
	return env
}

// mibPerVCPU is the memory at which Lambda allocates one full vCPU. Lambda allocates CPU in
// proportion to memory, up to 6 vCPUs at 10,240 MB.
const mibPerVCPU = 1769

// vcpus returns the vCPUs Lambda allocates for memoryMiB, at least one and at most this
// machine's. The runtime passes it as GOMAXPROCS. Without it, a Go bootstrap runs one
// scheduler thread per host core in each instance, and with several instances on a laptop
// that costs more CPU than the work: 10,000 pipeline jobs ran 18% faster with it on 2 cores
// (BenchmarkPipelineThroughput). A function's own GOMAXPROCS variable overrides it.
func vcpus(memoryMiB int) int {
	n := (memoryMiB + mibPerVCPU - 1) / mibPerVCPU
	return max(1, min(n, 6, runtime.NumCPU()))
}

// setEnv replaces key's entry in env, or appends one.
func setEnv(env []string, key, value string) []string {
	prefix := key + "="
	for i, kv := range env {
		if len(kv) >= len(prefix) && kv[:len(prefix)] == prefix {
			env[i] = prefix + value
			return env
		}
	}
	return append(env, prefix+value)
}

// scale starts instances while more invocations are queued than instances are free to
// take them, up to MaxInstances.
func (f *function) scale() {
	if f.rt.closing.Load() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.queue) > f.waiting && len(f.instances) < f.cfg.MaxInstances {
		f.startInstanceLocked()
	}
}

// startInstanceLocked adds an instance and starts its process in the background. The
// caller holds f.mu.
func (f *function) startInstanceLocked() {
	f.nextID++
	in := newInstance(f, f.nextID)
	f.instances[in] = struct{}{}
	f.waiting++
	in.waiting = true
	go in.start()
}

// removeInstance removes an instance that exited from the function's counts.
func (f *function) removeInstance(in *instance) {
	f.mu.Lock()
	delete(f.instances, in)
	if in.waiting {
		in.waiting = false
		f.waiting--
	}
	f.mu.Unlock()
}

// stopInstances stops every instance and waits until they have exited.
func (f *function) stopInstances() {
	f.mu.Lock()
	instances := make([]*instance, 0, len(f.instances))
	for in := range f.instances {
		instances = append(instances, in)
	}
	f.mu.Unlock()

	var wg sync.WaitGroup
	for _, in := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.stop(f.rt.cfg.ShutdownGrace)
		}()
	}
	wg.Wait()
}

// failQueued ends every queued invocation with err.
func (f *function) failQueued(err error) {
	for {
		select {
		case inv := <-f.queue:
			inv.finish(outcome{err: err})
		default:
			return
		}
	}
}

// takeQueued removes the oldest queued invocation that was not cancelled, if any.
func (f *function) takeQueued() *invocation {
	for {
		select {
		case inv := <-f.queue:
			if inv.state.CompareAndSwap(stateQueued, stateRunning) {
				return inv
			}
		default:
			return nil
		}
	}
}
