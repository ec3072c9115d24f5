package lambda

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of the runtime's counters.
type Stats struct {
	Functions map[string]FunctionStats
	Faults    FaultCounts
}

// FunctionStats counts what happened to one function since it was registered.
type FunctionStats struct {
	Invokes      int64 // invocations handed to an instance, retries included
	Errors       int64 // invocations that ended with a function error, timeouts and crashes included
	Timeouts     int64 // invocations that passed their timeout
	Crashes      int64 // invocations whose runtime exited before posting a result
	InitFailures int64 // instances that exited before asking for their first event
	ColdStarts   int64 // instances that finished their initialization
	Restarts     int64 // instances replaced after they exited or were killed
	Instances    int   // instances running now

	// InitDuration is the mean time from process start to the first request for an event.
	InitDuration time.Duration

	AsyncAccepted       int64 // events InvokeAsync accepted
	AsyncSucceeded      int64 // events that an attempt ran without a function error
	AsyncRetries        int64 // retries scheduled after a failed attempt
	AsyncFailed         int64 // events handed to the on-failure destination
	AsyncDropped        int64 // events dropped: no destination, a failed destination, or Close
	DestinationFailures int64 // OnFailure calls that returned an error
}

type functionCounters struct {
	invokes, errors, timeouts, crashes, initFailures, coldStarts, restarts atomic.Int64
	initNanos                                                              atomic.Int64

	asyncAccepted, asyncSucceeded, asyncRetries, asyncFailed, asyncDropped, destinationFailures atomic.Int64
}

// Stats returns the counters of every function and of the injected faults.
func (r *Runtime) Stats() Stats {
	r.mu.RLock()
	functions := make([]*function, 0, len(r.functions))
	for _, f := range r.functions {
		functions = append(functions, f)
	}
	r.mu.RUnlock()

	stats := Stats{Functions: make(map[string]FunctionStats, len(functions)), Faults: r.faults.counts()}
	for _, f := range functions {
		c := &f.stats
		s := FunctionStats{
			Invokes:             c.invokes.Load(),
			Errors:              c.errors.Load(),
			Timeouts:            c.timeouts.Load(),
			Crashes:             c.crashes.Load(),
			InitFailures:        c.initFailures.Load(),
			ColdStarts:          c.coldStarts.Load(),
			Restarts:            c.restarts.Load(),
			AsyncAccepted:       c.asyncAccepted.Load(),
			AsyncSucceeded:      c.asyncSucceeded.Load(),
			AsyncRetries:        c.asyncRetries.Load(),
			AsyncFailed:         c.asyncFailed.Load(),
			AsyncDropped:        c.asyncDropped.Load(),
			DestinationFailures: c.destinationFailures.Load(),
		}
		if s.ColdStarts > 0 {
			s.InitDuration = time.Duration(c.initNanos.Load() / s.ColdStarts)
		}
		f.mu.Lock()
		s.Instances = len(f.instances)
		f.mu.Unlock()
		stats.Functions[f.cfg.Name] = s
	}
	return stats
}
