package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ErrAsyncQueueFull is returned by InvokeAsync when the function's queue of asynchronous
// events holds Config.AsyncQueueSize events. The caller may retry later, as SNS does when
// Lambda throttles.
var ErrAsyncQueueFull = errors.New("asynchronous invoke queue is full")

// Conditions of an on-failure destination record.
const (
	conditionRetriesExhausted = "RetriesExhausted"
	conditionEventAgeExceeded = "EventAgeExceeded"
)

// asyncEvent is one event accepted by InvokeAsync. Every attempt uses the same request id,
// as Lambda's retries do.
type asyncEvent struct {
	requestID string
	payload   []byte
	accepted  time.Time
	attempts  int
	last      Response
}

// InvokeAsync queues payload for the function (InvocationType Event) and returns at once.
// functionARN is the function's ARN, optionally qualified with $LATEST, or its name, and
// payload is copied. After a function error the runtime retries the event
// Function.MaxAsyncRetries times. It waits Config.AsyncRetryDelay before the first retry and
// twice that before the second, then hands the on-failure destination record to
// Function.OnFailure.
func (r *Runtime) InvokeAsync(ctx context.Context, functionARN string, payload []byte) error {
	f, err := r.lookup(functionARN)
	if err != nil {
		return err
	}
	if len(payload) > MaxAsyncPayload {
		return fmt.Errorf("function %q: event of %d bytes exceeds Lambda's limit of %d bytes for asynchronous invokes", f.cfg.Name, len(payload), MaxAsyncPayload)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.asyncClosing.Load() {
		return ErrClosed
	}

	ev := &asyncEvent{requestID: newRequestID(), payload: bytes.Clone(payload), accepted: time.Now()}
	if ev.payload == nil {
		ev.payload = []byte{}
	}
	select {
	case f.async <- ev:
		f.stats.asyncAccepted.Add(1)
		return nil
	default:
		return fmt.Errorf("function %q: %w (%d events): retry later", f.cfg.Name, ErrAsyncQueueFull, cap(f.async))
	}
}

// asyncWorker runs queued asynchronous events until the runtime stops its workers.
func (f *function) asyncWorker() {
	defer f.rt.workers.Done()
	for {
		select {
		case ev := <-f.async:
			f.asyncRunning.Add(1)
			f.runAsync(ev)
			f.asyncRunning.Add(-1)
		case <-f.rt.stopWorkers:
			return
		}
	}
}

// runAsync makes one attempt of ev and schedules its retry or its failure record.
func (f *function) runAsync(ev *asyncEvent) {
	if ev.attempts > 0 && time.Since(ev.accepted) > f.cfg.MaxEventAge {
		f.deliverFailure(ev, conditionEventAgeExceeded)
		return
	}

	ev.attempts++
	inv := newInvocation(ev.requestID, ev.payload, InvokeOptions{})
	response, err := f.run(context.Background(), inv)
	if err != nil {
		f.stats.asyncDropped.Add(1)
		f.rt.logger.Error("asynchronous invoke dropped", "function", f.cfg.Name, "request_id", ev.requestID, "err", err)
		return
	}
	if response.FunctionError == "" {
		f.stats.asyncSucceeded.Add(1)
		return
	}

	ev.last = response
	if ev.attempts > f.cfg.MaxAsyncRetries {
		f.deliverFailure(ev, conditionRetriesExhausted)
		return
	}
	f.scheduleRetry(ev)
}

// scheduleRetry queues ev again after the retry delay: Config.AsyncRetryDelay times the
// number of attempts made. Once Close has started, it drops ev instead.
func (f *function) scheduleRetry(ev *asyncEvent) {
	delay := f.rt.cfg.AsyncRetryDelay * time.Duration(ev.attempts)
	log := f.rt.logger.With("function", f.cfg.Name, "request_id", ev.requestID, "attempt", ev.attempts)

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rt.asyncClosing.Load() {
		f.stats.asyncDropped.Add(1)
		log.Warn("asynchronous invoke failed during close; dropped instead of retried")
		return
	}
	f.stats.asyncRetries.Add(1)
	log.Info("asynchronous invoke failed; retrying", "delay", delay)
	f.rt.retryCallbacks.Add(1)
	f.retries[ev] = time.AfterFunc(delay, func() {
		defer f.rt.retryCallbacks.Done()
		f.mu.Lock()
		delete(f.retries, ev)
		f.mu.Unlock()
		select {
		case <-f.rt.stopWorkers:
			f.stats.asyncDropped.Add(1)
			log.Warn("asynchronous invoke dropped at close before its retry")
			return
		default:
		}
		select {
		case f.async <- ev:
		case <-f.rt.stopWorkers:
			f.stats.asyncDropped.Add(1)
			log.Warn("asynchronous invoke dropped at close before its retry")
		}
	})
}

// cancelRetries stops the retries that are still waiting, counting them as dropped. The
// caller has set Runtime.asyncClosing, so no retry is scheduled after it.
func (f *function) cancelRetries() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ev, timer := range f.retries {
		if !timer.Stop() {
			continue // the retry is being queued; the drain runs or drops it
		}
		delete(f.retries, ev)
		f.rt.retryCallbacks.Done()
		f.stats.asyncDropped.Add(1)
		f.rt.logger.Warn("asynchronous invoke dropped at close while waiting for a retry",
			"function", f.cfg.Name, "request_id", ev.requestID, "attempts", ev.attempts)
	}
}

// dropQueuedAsync empties the queue of asynchronous events, counting them as dropped.
func (f *function) dropQueuedAsync() {
	for {
		select {
		case ev := <-f.async:
			f.stats.asyncDropped.Add(1)
			f.rt.logger.Warn("asynchronous invoke dropped at close", "function", f.cfg.Name, "request_id", ev.requestID)
		default:
			return
		}
	}
}

// deliverFailure hands ev's destination record to Function.OnFailure.
func (f *function) deliverFailure(ev *asyncEvent, condition string) {
	log := f.rt.logger.With("function", f.cfg.Name, "request_id", ev.requestID, "attempts", ev.attempts, "condition", condition)
	if f.cfg.OnFailure == nil {
		f.stats.asyncDropped.Add(1)
		log.Warn("asynchronous invoke failed and the function has no on-failure destination; event dropped")
		return
	}
	record := failureRecord(ev, f.arn, condition, time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.cfg.OnFailure(ctx, record); err != nil {
		f.stats.destinationFailures.Add(1)
		f.stats.asyncDropped.Add(1)
		log.Error("on-failure destination failed; event dropped", "err", err)
		return
	}
	f.stats.asyncFailed.Add(1)
	log.Info("asynchronous invoke sent to the on-failure destination")
}

// failureRecord builds Lambda's invocation record for an on-failure destination. The event
// and the function's response are embedded as they are when they are JSON, and as JSON
// strings otherwise.
func failureRecord(ev *asyncEvent, functionARN, condition string, now time.Time) []byte {
	var b bytes.Buffer
	b.Grow(len(ev.payload) + len(ev.last.Payload) + 400)
	b.WriteString(`{"version":"1.0","timestamp":"`)
	b.WriteString(now.UTC().Format("2006-01-02T15:04:05.000Z"))
	b.WriteString(`","requestContext":{"requestId":`)
	writeJSONString(&b, ev.requestID)
	b.WriteString(`,"functionArn":`)
	writeJSONString(&b, functionARN+":$LATEST")
	b.WriteString(`,"condition":`)
	writeJSONString(&b, condition)
	b.WriteString(`,"approximateInvokeCount":`)
	b.WriteString(strconv.Itoa(ev.attempts))
	b.WriteString(`},"requestPayload":`)
	writeJSONValue(&b, ev.payload)
	if ev.attempts > 0 {
		b.WriteString(`,"responseContext":{"statusCode":200,"executedVersion":"$LATEST"`)
		if ev.last.FunctionError != "" {
			b.WriteString(`,"functionError":`)
			writeJSONString(&b, ev.last.FunctionError)
		}
		b.WriteString(`},"responsePayload":`)
		writeJSONValue(&b, ev.last.Payload)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func writeJSONString(b *bytes.Buffer, s string) {
	encoded, _ := json.Marshal(s)
	b.Write(encoded)
}

// writeJSONValue writes v as it is when it is one JSON value, null when it is empty, and
// as a JSON string otherwise.
func writeJSONValue(b *bytes.Buffer, v []byte) {
	trimmed := bytes.TrimSpace(v)
	switch {
	case len(trimmed) == 0:
		b.WriteString("null")
	case json.Valid(trimmed):
		b.Write(trimmed)
	default:
		writeJSONString(b, string(v))
	}
}
