package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/job"
	"github.com/relay-pipeline/relay/internal/localcloud"
	"github.com/relay-pipeline/relay/internal/localcloud/lambda"
	"github.com/relay-pipeline/relay/internal/localpipeline"
	"github.com/relay-pipeline/relay/internal/settings"
)

// localOptions are the flags of relay local.
type localOptions struct {
	jobsFile      string
	untilDrained  bool
	drainTimeout  time.Duration
	buildDir      string
	cloudAddr     string
	urlAddr       string
	deliveryDelay string
	overrides     keyValues
	functionLogs  string
	progressEvery time.Duration
	results       bool

	seed        uint64
	cloudFaults keyValues
	killRate    float64
	timeoutRate float64
	delayRate   float64
	delay       time.Duration
}

// keyValues collects repeated key=value flags.
type keyValues map[string]string

func (kv keyValues) String() string { return fmt.Sprint(map[string]string(kv)) }

func (kv keyValues) Set(s string) error {
	key, value, ok := strings.Cut(s, "=")
	if !ok || key == "" {
		return fmt.Errorf("%q is not key=value", s)
	}
	kv[key] = value
	return nil
}

func parseLocalFlags(args []string, stderr io.Writer) (localOptions, error) {
	opts := localOptions{overrides: keyValues{}, cloudFaults: keyValues{}}
	fs := newFlagSet("local", stderr)
	fs.StringVar(&opts.jobsFile, "jobs", "", "`file` of jobs to send through enqueue: NDJSON or one `ID TASK INPUT` per line")
	fs.BoolVar(&opts.untilDrained, "until-drained", false, "exit once every job from --jobs is accounted for; exit 1 if any is missing at --drain-timeout")
	fs.DurationVar(&opts.drainTimeout, "drain-timeout", 10*time.Minute, "longest wait for --until-drained")
	fs.StringVar(&opts.buildDir, "build-dir", settings.LocalAssetRoot, "`folder` with <function>/bootstrap built for this machine (make build-local)")
	fs.StringVar(&opts.cloudAddr, "addr", localcloud.DefaultAddr, "local cloud listen `address`")
	fs.StringVar(&opts.urlAddr, "url-addr", "127.0.0.1:9000", "enqueue Function URL listen `address`")
	fs.StringVar(&opts.deliveryDelay, "delivery-delay", "", "shorten the jobs queue's delivery delay to this `duration` (default: the stack's value)")
	fs.Var(opts.overrides, "c", "override a setting as `key=value`, with the same keys as CDK context (repeatable)")
	fs.StringVar(&opts.functionLogs, "function-logs", "", "write the functions' logs to this `file` (- for standard error)")
	fs.DurationVar(&opts.progressEvery, "progress", time.Second, "progress line `interval`; 0 turns it off")
	fs.BoolVar(&opts.results, "results", false, "print each result (job id, status, output or error) as it is published")
	fs.Uint64Var(&opts.seed, "seed", 0, "seed of the injected faults; 0 picks one and prints it")
	fs.Var(opts.cloudFaults, "fault", "fail this share of an AWS action as `service:Action=rate`, such as sns:PublishBatch=0.05 (repeatable)")
	fs.Float64Var(&opts.killRate, "kill-rate", 0, "share of invokes whose function instance is killed in the middle")
	fs.Float64Var(&opts.timeoutRate, "timeout-rate", 0, "share of invokes made to pass their timeout")
	fs.Float64Var(&opts.delayRate, "delay-rate", 0, "share of invokes whose response is delayed by --delay")
	fs.DurationVar(&opts.delay, "delay", 500*time.Millisecond, "delay added to a delayed response")
	if err := parseFlags(fs, args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if opts.untilDrained && opts.jobsFile == "" {
		return opts, fmt.Errorf("%w: --until-drained needs --jobs FILE", errUsage)
	}
	return opts, nil
}

// localSettings applies -c overrides and --delivery-delay to the stack's defaults.
func localSettings(opts localOptions, stdout io.Writer) (settings.Settings, error) {
	lookup := func(key string) any {
		if v, ok := opts.overrides[key]; ok {
			return v
		}
		return nil
	}
	s, err := settings.Default().WithOverrides(lookup)
	if err != nil {
		return s, err
	}
	for key := range opts.overrides {
		if !knownKey(key) {
			return s, fmt.Errorf("%w: unknown setting %q in -c; known keys: %s", errUsage, key, strings.Join(keyNames(), ", "))
		}
	}
	if opts.deliveryDelay != "" {
		delay, err := time.ParseDuration(opts.deliveryDelay)
		if err != nil {
			return s, fmt.Errorf("%w: --delivery-delay %q is not a duration such as 0s or 2s", errUsage, opts.deliveryDelay)
		}
		if delay > s.DeliveryDelay {
			return s, fmt.Errorf("%w: --delivery-delay %s only shortens the delay; the stack's is %s (use -c deliveryDelay=N to change both)", errUsage, delay, s.DeliveryDelay)
		}
		fmt.Fprintf(stdout, "delivery delay shortened from the stack's %s to %s for this local run\n", s.DeliveryDelay, delay.Truncate(time.Second))
		s.DeliveryDelay = delay.Truncate(time.Second)
	}
	return s, s.Validate()
}

func knownKey(key string) bool {
	for _, k := range settings.Keys() {
		if k.Name == key {
			return true
		}
	}
	return false
}

func keyNames() []string {
	var names []string
	for _, k := range settings.Keys() {
		names = append(names, k.Name)
	}
	return names
}

// faultOptions returns the local cloud's and the runtime's fault settings, or nil for none.
func faultOptions(opts *localOptions, stdout io.Writer) (*localcloud.FaultConfig, *lambda.Faults, error) {
	anyFault := len(opts.cloudFaults) > 0 || opts.killRate > 0 || opts.timeoutRate > 0 || opts.delayRate > 0
	if !anyFault {
		return nil, nil, nil
	}
	if opts.seed == 0 {
		opts.seed = uint64(time.Now().UnixNano())
	}
	fmt.Fprintf(stdout, "fault injection on; reproduce with --seed %d\n", opts.seed)

	var cloud *localcloud.FaultConfig
	if len(opts.cloudFaults) > 0 {
		cloud = &localcloud.FaultConfig{Seed: opts.seed, Rates: map[string]float64{}}
		for action, raw := range opts.cloudFaults {
			rate, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: --fault %s=%s: the rate must be a number between 0 and 1", errUsage, action, raw)
			}
			cloud.Rates[action] = rate
		}
	}
	runtime := &lambda.Faults{Seed: int64(opts.seed), KillRate: opts.killRate, TimeoutRate: opts.timeoutRate, DelayRate: opts.delayRate, Delay: opts.delay}
	return cloud, runtime, nil
}

// runLocal runs the whole pipeline on the local cloud, sends the jobs file through enqueue,
// shows progress and ends with a summary.
func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseLocalFlags(args, stderr)
	if err != nil {
		return err
	}
	// --results prints from its own goroutine.
	stdout = &syncWriter{w: stdout}
	s, err := localSettings(opts, stdout)
	if err != nil {
		return err
	}
	cloudFaults, runtimeFaults, err := faultOptions(&opts, stdout)
	if err != nil {
		return err
	}
	var jobs []job.Job
	if opts.jobsFile != "" {
		if jobs, err = localpipeline.ReadJobs(opts.jobsFile); err != nil {
			return err
		}
	}
	functionLogs, closeLogs, err := openFunctionLogs(opts.functionLogs, stderr)
	if err != nil {
		return err
	}
	defer closeLogs()

	tracker := localpipeline.NewTracker()
	pipeline, err := localpipeline.Start(ctx, localpipeline.Options{
		Settings:        s,
		BootstrapDir:    opts.buildDir,
		CloudAddr:       opts.cloudAddr,
		FunctionURLAddr: opts.urlAddr,
		FunctionLogs:    functionLogs,
		OnLogLine: func(function string, line []byte) {
			if function == settings.FunctionNotified {
				tracker.ObserveLogLine(line)
			}
		},
		CloudFaults:   cloudFaults,
		RuntimeFaults: runtimeFaults,
		Logger:        newLogger(stderr, slog.LevelWarn),
	})
	if err != nil {
		return err
	}
	defer pipeline.Close()
	printEndpoints(stdout, pipeline, s)
	stopResults := func() {}
	if opts.results {
		if stopResults, err = printResults(ctx, pipeline, stdout); err != nil {
			return err
		}
	}
	defer stopResults()

	if len(jobs) > 0 {
		if err := submit(ctx, pipeline, tracker, jobs, stdout); err != nil {
			return err
		}
	}

	err = watch(ctx, pipeline, tracker, opts, stdout)
	stopResults()
	summary := tracker.Report()
	printSummary(stdout, pipeline, tracker, summary)
	if closeErr := pipeline.Close(); closeErr != nil && err == nil {
		err = closeErr
	}
	return err
}

func openFunctionLogs(path string, stderr io.Writer) (io.Writer, func(), error) {
	switch path {
	case "":
		return nil, func() {}, nil
	case "-":
		return stderr, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open --function-logs file: %w", err)
	}
	return f, func() { f.Close() }, nil
}

func printEndpoints(w io.Writer, p *localpipeline.Pipeline, s settings.Settings) {
	fmt.Fprintf(w, "local cloud     %s (AWS_ENDPOINT_URL=%s)\n", p.Cloud.URL(), p.Cloud.URL())
	fmt.Fprintf(w, "jobs queue      %s (delivery delay %s, visibility timeout %s)\n", p.QueueURLs[settings.QueueJobs], s.DeliveryDelay, s.VisibilityTimeout)
	fmt.Fprintf(w, "jobs DLQ        %s (maxReceiveCount %d)\n", p.QueueURLs[settings.QueueJobsDLQ], s.MaxReceiveCount)
	fmt.Fprintf(w, "results topic   %s\n", p.TopicARNs[settings.TopicResults])
	fmt.Fprintf(w, "enqueue URL     %sjobs  (curl -X POST %sjobs -H 'content-type: application/json' -d '{\"task\":\"checksum\",\"input\":\"hello\"}')\n", p.FunctionURL, p.FunctionURL)
}

// watch prints progress until every job is accounted for (with --until-drained), until the
// drain timeout, or until ctx ends.
func watch(ctx context.Context, p *localpipeline.Pipeline, tracker *localpipeline.Tracker, opts localOptions, stdout io.Writer) error {
	tick := opts.progressEvery
	if tick <= 0 {
		tick = time.Second
	}
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	deadline := time.After(opts.drainTimeout)
	dlqURL := p.QueueURLs[settings.QueueJobsDLQ]
	lastDone, lastTime := 0, time.Now()

	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(stdout, "interrupted")
			return nil
		case <-deadline:
			if opts.untilDrained {
				report := tracker.Report()
				return fmt.Errorf("%d of %d jobs not accounted for after %s, for example %q: raise --drain-timeout, or look in --function-logs",
					len(report.Missing), report.Submitted, opts.drainTimeout, firstN(report.Missing, 5))
			}
			deadline = nil
		case <-ticker.C:
			if err := tracker.CollectDLQ(ctx, p.Observer, dlqURL); err != nil && ctx.Err() == nil {
				return err
			}
			report := tracker.Report()
			done := report.Succeeded + report.Failed + report.DeadLetters
			now := time.Now()
			rate := float64(done-lastDone) / now.Sub(lastTime).Seconds()
			lastDone, lastTime = done, now
			if opts.progressEvery > 0 {
				printProgress(ctx, stdout, p, report, rate)
			}
			if opts.untilDrained && report.Drained() {
				return nil
			}
		}
	}
}

func firstN(ids []string, n int) []string { return ids[:min(n, len(ids))] }

func printProgress(ctx context.Context, w io.Writer, p *localpipeline.Pipeline, r localpipeline.Report, rate float64) {
	visible, inFlight, delayed := queueDepths(ctx, p.Observer, p.QueueURLs[settings.QueueJobs])
	fmt.Fprintf(w, "%6.1fs  queued %d  in flight %d  delayed %d  succeeded %d  failed %d  dlq %d  %.0f jobs/s\n",
		r.Elapsed.Seconds(), visible, inFlight, delayed, r.Succeeded, r.Failed, r.DeadLetters, rate)
}

func queueDepths(ctx context.Context, client *sqs.Client, url string) (visible, inFlight, delayed int) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return -1, -1, -1
	}
	get := func(name sqstypes.QueueAttributeName) int {
		n, _ := strconv.Atoi(out.Attributes[string(name)])
		return n
	}
	return get(sqstypes.QueueAttributeNameApproximateNumberOfMessages),
		get(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible),
		get(sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed)
}

// submit sends jobs through enqueue and tracks the ones it queued.
func submit(ctx context.Context, p *localpipeline.Pipeline, tracker *localpipeline.Tracker, jobs []job.Job, stdout io.Writer) error {
	outcome, err := p.Submit(ctx, jobs)
	for _, j := range outcome.Jobs {
		if j.Status == job.OutcomeQueued {
			tracker.Submitted(j.ID)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sent %d jobs through enqueue: %d queued, %d failed to queue\n", len(jobs), outcome.Queued, outcome.Failed)
	for _, j := range outcome.Jobs {
		if j.Status != job.OutcomeQueued {
			fmt.Fprintf(stdout, "  job %s not queued: %s\n", j.ID, j.Error)
		}
	}
	return nil
}

// printSummary prints counts, latency percentiles and API calls per job by action.
func printSummary(w io.Writer, p *localpipeline.Pipeline, tracker *localpipeline.Tracker, r localpipeline.Report) {
	fmt.Fprintf(w, "\nsummary: %d jobs submitted in %.1fs\n", r.Submitted, r.Elapsed.Seconds())
	fmt.Fprintf(w, "  succeeded %d  failed %d  dlq %d  missing %d  duplicates %d\n",
		r.Succeeded, r.Failed, r.DeadLetters, len(r.Missing), len(r.Duplicates))
	for _, reason := range localcloud.SortedActions(toInt64(r.DLQByReason)) {
		fmt.Fprintf(w, "    dlq reason %-20s %d\n", reason, r.DLQByReason[reason])
	}
	if len(r.Unexpected) > 0 {
		fmt.Fprintf(w, "  results for jobs not in --jobs (sent to the Function URL): %d\n", len(r.Unexpected))
	}
	fmt.Fprintf(w, "  latency enqueue to notification: p50 %s  p99 %s\n", r.LatencyP50.Round(time.Millisecond), r.LatencyP99.Round(time.Millisecond))

	// The pipeline's calls only: relay's own progress polling and DLQ accounting go through
	// an observer client that the local cloud counts apart.
	calls := p.Cloud.Calls()
	var total int64
	for _, n := range calls {
		total += n
	}
	if r.Submitted > 0 {
		fmt.Fprintf(w, "  API calls of the pipeline: %d, %.3f per job (set-up and idle long polls included)\n", total, float64(total)/float64(r.Submitted))
	} else {
		fmt.Fprintf(w, "  API calls of the pipeline: %d\n", total)
	}
	for _, action := range localcloud.SortedActions(calls) {
		if r.Submitted > 0 {
			fmt.Fprintf(w, "    %-36s %7d  %.3f per job\n", action, calls[action], float64(calls[action])/float64(r.Submitted))
		} else {
			fmt.Fprintf(w, "    %-36s %7d\n", action, calls[action])
		}
	}
	if faults := p.Cloud.InjectedFaults(); len(faults) > 0 {
		fmt.Fprintln(w, "  injected cloud faults:")
		for _, action := range localcloud.SortedActions(faults) {
			fmt.Fprintf(w, "    %-36s %7d\n", action, faults[action])
		}
	}
}

func toInt64(m map[string]int) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = int64(v)
	}
	return out
}
