package lambda

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Reasons an instance was killed; an instance that exits with no reason crashed.
const (
	killTimeout = "timeout"
	killFault   = "fault"
	killStop    = "stop"
)

// instance is one bootstrap process and the Runtime API server it talks to.
type instance struct {
	f       *function
	id      int
	started time.Time
	exited  chan struct{} // closed once the process has exited and the instance is cleaned up

	// waiting is guarded by f.mu: the instance is starting or waiting in invocation/next.
	waiting bool

	mu            sync.Mutex
	cmd           *exec.Cmd
	server        *http.Server
	timer         *time.Timer
	current       *invocation // the invocation the runtime is working on
	ready         bool        // the runtime asked for its first event
	handled       int         // invocations taken
	killReason    string
	processExited bool   // the process exited, or never started
	initError     []byte // body of runtime/init/error
}

func newInstance(f *function, id int) *instance {
	in := &instance{f: f, id: id, exited: make(chan struct{})}
	in.timer = time.AfterFunc(time.Hour, in.onTimer)
	in.timer.Stop()
	return in
}

func (in *instance) logger() *slog.Logger {
	return in.f.rt.logger.With("function", in.f.cfg.Name, "instance", in.id)
}

// start starts the Runtime API server and the process. On failure the instance is
// removed and one queued invocation gets the error, as an init failure would.
func (in *instance) start() {
	f := in.f
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		in.failStart(fmt.Errorf("listen for the Runtime API: %w", err))
		return
	}
	server := &http.Server{
		Handler:           in.routes(),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(f.rt.logger.Handler(), slog.LevelDebug),
	}
	go func() { _ = server.Serve(ln) }()

	stdout := newLineWriter(f.rt.logs, f.cfg.Name, f.cfg.OnLogLine)
	stderr := newLineWriter(f.rt.logs, f.cfg.Name, f.cfg.OnLogLine)
	cmd := exec.Command(f.cfg.Bootstrap)
	cmd.Dir = filepath.Dir(f.cfg.Bootstrap)
	cmd.Env = append(append(make([]string, 0, len(f.env)+2), f.env...),
		"AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		"AWS_LAMBDA_LOG_STREAM_NAME="+logStreamName(),
	)
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second // a child that keeps the output pipes open cannot hold up Wait
	detachFromTerminal(cmd)

	in.mu.Lock()
	in.server = server
	in.cmd = cmd
	in.started = time.Now()
	err = cmd.Start()
	in.mu.Unlock()
	if err != nil {
		_ = server.Close()
		in.failStart(fmt.Errorf("start bootstrap %s: %w", f.cfg.Bootstrap, err))
		return
	}
	in.logger().Debug("instance started", "pid", cmd.Process.Pid, "runtime_api", ln.Addr().String())

	go func() {
		err := cmd.Wait()
		stdout.flush()
		stderr.flush()
		in.exit(err)
	}()
}

// failStart handles an instance whose process could not start.
func (in *instance) failStart(err error) {
	in.logger().Error("instance failed to start", "err", err)
	in.mu.Lock()
	in.processExited = true
	in.mu.Unlock()
	close(in.exited)
	in.f.removeInstance(in)
	if inv := in.f.takeQueued(); inv != nil {
		inv.finish(outcome{response: Response{
			Payload:       errorPayload("Runtime.InvalidEntrypoint", "RequestId: "+inv.id+" Error: "+err.Error()),
			FunctionError: FunctionErrorUnhandled,
		}})
	}
}

// exit cleans up after the process exited: it fails the invocation that was running, or a
// queued one when the runtime never got ready, and starts a replacement when the instance
// died after serving invokes.
func (in *instance) exit(waitErr error) {
	f := in.f
	in.mu.Lock()
	in.processExited = true
	inv := in.current
	in.current = nil
	reason := in.killReason
	ready := in.ready
	handled := in.handled
	initError := in.initError
	in.mu.Unlock()

	in.timer.Stop()
	_ = in.server.Close()
	f.removeInstance(in)
	close(in.exited)

	closing := f.rt.closing.Load()
	switch {
	case inv != nil && closing:
		inv.finish(outcome{err: ErrClosed})
	case inv != nil:
		f.stats.crashes.Add(1)
		f.stats.errors.Add(1)
		inv.finish(exitOutcome(inv.id, waitErr))
	case !ready && !closing && reason != killStop:
		f.stats.initFailures.Add(1)
		if queued := f.takeQueued(); queued != nil {
			out := exitOutcome(queued.id, waitErr)
			if len(initError) > 0 {
				out.response.Payload = initError
			}
			f.stats.errors.Add(1)
			queued.finish(out)
		}
	}

	log := in.logger()
	switch {
	case reason == killStop || closing:
		log.Debug("instance stopped", "handled", handled)
	case reason == killTimeout || reason == killFault:
		log.Debug("instance killed", "reason", reason, "handled", handled)
	default:
		log.Warn("instance exited", "err", waitErr, "ready", ready, "handled", handled)
	}

	if !closing && reason != killStop && handled > 0 {
		f.stats.restarts.Add(1)
		f.mu.Lock()
		if len(f.instances) < f.cfg.MaxInstances {
			f.startInstanceLocked()
		}
		f.mu.Unlock()
	}
	f.scale()
}

// kill sends SIGKILL to the process, recording why.
func (in *instance) kill(reason string) {
	in.mu.Lock()
	if in.killReason == "" {
		in.killReason = reason
	}
	cmd := in.cmd
	in.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

// stop sends SIGTERM, then SIGKILL after grace, and waits until the instance has exited.
func (in *instance) stop(grace time.Duration) {
	in.mu.Lock()
	in.killReason = killStop
	cmd := in.cmd
	processExited := in.processExited
	in.mu.Unlock()
	if processExited {
		return
	}
	if cmd == nil || cmd.Process == nil {
		// Still starting: wait for the process so that it can be signalled.
		select {
		case <-in.exited:
			return
		case <-time.After(grace):
		}
		in.kill(killStop)
		<-in.exited
		return
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
		return
	case <-time.After(grace):
	}
	_ = cmd.Process.Kill()
	<-in.exited
}

// onTimer fires at the running invocation's timeout: it reports the invoke as timed out and
// kills the instance, which is then replaced.
func (in *instance) onTimer() {
	in.mu.Lock()
	inv := in.current
	if inv == nil || time.Now().Before(inv.expires) {
		in.mu.Unlock()
		return
	}
	in.current = nil
	in.mu.Unlock()

	f := in.f
	f.stats.timeouts.Add(1)
	f.stats.errors.Add(1)
	in.logger().Warn("invoke timed out; killing the instance", "request_id", inv.id, "timeout", f.cfg.Timeout)
	inv.finish(timeoutOutcome(inv.id, f.cfg.Timeout))
	in.kill(killTimeout)
}

// logStreamName returns a name in the shape of Lambda's log stream names:
// 2026/12/04/[$LATEST]0123456789abcdef0123456789abcdef.
func logStreamName() string {
	return time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + randomHex(16)
}
