package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

const dlqUsage = `Usage:
  relay dlq list    --dlq-url URL [--max N]
  relay dlq redrive --dlq-url URL [--reason REASON] [--max N]
  relay dlq purge   --dlq-url URL [--yes]

The DLQ URL comes from --dlq-url or RELAY_DLQ_URL (the stack output JobsDLQUrl on AWS).
Against the local cloud add --endpoint http://127.0.0.1:4566; without it the command uses
your default AWS credentials and region.
`

// dlqOptions are the flags every dlq subcommand shares.
type dlqOptions struct {
	url      string
	endpoint string
	max      int
	reason   string
	yes      bool
}

// runDLQ lists, redrives or purges the messages of a dead-letter queue.
func runDLQ(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stderr, dlqUsage)
		return flag.ErrHelp
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, dlqUsage)
		return fmt.Errorf("%w: relay dlq needs a subcommand: list, redrive or purge", errUsage)
	}
	sub := args[0]
	switch sub {
	case "list", "redrive", "purge":
	default:
		fmt.Fprint(stderr, dlqUsage)
		return fmt.Errorf("%w: unknown dlq subcommand %q: use list, redrive or purge", errUsage, sub)
	}
	fs := newFlagSet("dlq "+sub, stderr)
	var opts dlqOptions
	fs.StringVar(&opts.url, "dlq-url", os.Getenv("RELAY_DLQ_URL"), "dead-letter queue `URL`")
	fs.StringVar(&opts.endpoint, "endpoint", "", "SQS endpoint `URL`, such as http://127.0.0.1:4566 for the local cloud")
	fs.IntVar(&opts.max, "max", 100, "most messages to list or redrive")
	if sub == "redrive" {
		fs.StringVar(&opts.reason, "reason", "", "redrive only messages whose reason attribute is `REASON`, such as invalid-input")
	}
	if sub == "purge" {
		fs.BoolVar(&opts.yes, "yes", false, "purge without asking for confirmation")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if opts.url == "" {
		return fmt.Errorf("%w: --dlq-url (or RELAY_DLQ_URL) is required", errUsage)
	}
	if opts.max < 1 {
		return fmt.Errorf("%w: --max %d must be at least 1", errUsage, opts.max)
	}

	client, err := newSQSClient(ctx, opts.endpoint)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		return listDLQ(ctx, client, opts, stdout)
	case "redrive":
		return redriveDLQ(ctx, client, opts, stdout)
	case "purge":
		return purgeDLQ(ctx, client, opts, stdin, stdout)
	default:
		return fmt.Errorf("%w: unknown dlq subcommand %q: use list, redrive or purge", errUsage, sub)
	}
}

// newSQSClient returns a client with the default AWS configuration, or with dummy
// credentials against endpoint when one is given.
func newSQSClient(ctx context.Context, endpoint string) (*sqs.Client, error) {
	var loadOptions []func(*config.LoadOptions) error
	if endpoint != "" {
		loadOptions = append(loadOptions,
			config.WithRegion(regionOr("us-east-1")),
			config.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "relay local cloud"}, nil
			})),
		)
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOptions...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

func regionOr(fallback string) string {
	for _, name := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	return fallback
}

// dlqMessage is one received message of the dead-letter queue.
type dlqMessage struct {
	types.Message
}

func (m dlqMessage) attribute(name string) string {
	if v, ok := m.MessageAttributes[name]; ok {
		return aws.ToString(v.StringValue)
	}
	return ""
}

// reason returns why the message is in the DLQ: the reason attribute that process sets on a
// permanent failure, or "max-receive-count" for a message that the queue's redrive policy moved.
func (m dlqMessage) reason() string {
	if r := m.attribute("reason"); r != "" {
		return r
	}
	return "max-receive-count"
}

func (m dlqMessage) age(now time.Time) time.Duration {
	ms, err := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64)
	if err != nil {
		return 0
	}
	return now.Sub(time.UnixMilli(ms)).Round(time.Second)
}

// receiveAll receives up to max messages and keeps them invisible for hold, so that a
// listing pages through the queue instead of seeing the same messages again.
func receiveAll(ctx context.Context, client *sqs.Client, url string, max int, hold time.Duration) ([]dlqMessage, error) {
	var messages []dlqMessage
	for len(messages) < max {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(url),
			MaxNumberOfMessages:         int32(min(10, max-len(messages))),
			VisibilityTimeout:           int32(hold / time.Second),
			WaitTimeSeconds:             1,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return messages, fmt.Errorf("receive from %s: %w", url, err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, msg := range out.Messages {
			messages = append(messages, dlqMessage{msg})
		}
	}
	return messages, nil
}

// release makes messages visible again at once.
func release(ctx context.Context, client *sqs.Client, url string, messages []dlqMessage) error {
	var errs []error
	for start := 0; start < len(messages); start += 10 {
		chunk := messages[start:min(start+10, len(messages))]
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(chunk))
		for i, msg := range chunk {
			entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: msg.ReceiptHandle, VisibilityTimeout: 0}
		}
		out, err := client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, failed := range out.Failed {
			errs = append(errs, fmt.Errorf("release entry %s: %s", aws.ToString(failed.Id), aws.ToString(failed.Message)))
		}
	}
	return errors.Join(errs...)
}

func listDLQ(ctx context.Context, client *sqs.Client, opts dlqOptions, stdout io.Writer) error {
	messages, err := receiveAll(ctx, client, opts.url, opts.max, 30*time.Second)
	releaseErr := release(context.WithoutCancel(ctx), client, opts.url, messages)
	if err != nil {
		return errors.Join(err, releaseErr)
	}

	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MESSAGE ID\tJOB ID\tTASK\tREASON\tRECEIVES\tAGE\tERROR")
	for _, msg := range messages {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			aws.ToString(msg.MessageId), msg.attribute("job_id"), msg.attribute("task"), msg.reason(),
			msg.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)],
			msg.age(now), truncate(msg.attribute("error"), 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d message(s) listed from %s\n", len(messages), opts.url)
	return releaseErr
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// redriveDLQ moves messages back to the queue they came from. Without --reason it starts an
// SQS message move task. With --reason it moves the matching messages one by one and leaves
// the others where they are, because a move task cannot filter.
func redriveDLQ(ctx context.Context, client *sqs.Client, opts dlqOptions, stdout io.Writer) error {
	dlqARN, err := queueARN(ctx, client, opts.url)
	if err != nil {
		return err
	}
	if opts.reason == "" {
		out, err := client.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN)})
		if err != nil {
			return fmt.Errorf("start message move task from %s: %w", dlqARN, err)
		}
		fmt.Fprintf(stdout, "message move task %s started: messages of %s go back to their source queue\n", aws.ToString(out.TaskHandle), dlqARN)
		return nil
	}

	sources, err := client.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(opts.url)})
	if err != nil {
		return fmt.Errorf("list source queues of %s: %w", opts.url, err)
	}
	if len(sources.QueueUrls) != 1 {
		return fmt.Errorf("dead-letter queue %s has %d source queues; --reason needs exactly one", opts.url, len(sources.QueueUrls))
	}
	source := sources.QueueUrls[0]

	messages, err := receiveAll(ctx, client, opts.url, opts.max, 60*time.Second)
	if err != nil {
		return errors.Join(err, release(context.WithoutCancel(ctx), client, opts.url, messages))
	}
	var keep []dlqMessage
	moved := 0
	for _, msg := range messages {
		if msg.reason() != opts.reason {
			keep = append(keep, msg)
			continue
		}
		if err := moveMessage(ctx, client, msg, source, opts.url); err != nil {
			keep = append(keep, msg)
			fmt.Fprintf(stdout, "message %s not moved: %v\n", aws.ToString(msg.MessageId), err)
			continue
		}
		moved++
	}
	fmt.Fprintf(stdout, "%d message(s) with reason %q moved to %s; %d left in the dead-letter queue\n", moved, opts.reason, source, len(keep))
	return release(context.WithoutCancel(ctx), client, opts.url, keep)
}

// moveMessage sends msg to the source queue with its body and attributes, then deletes it
// from the DLQ. A crash between the two leaves a copy in both queues, never in neither.
func moveMessage(ctx context.Context, client *sqs.Client, msg dlqMessage, sourceURL, dlqURL string) error {
	attrs := make(map[string]types.MessageAttributeValue, len(msg.MessageAttributes))
	for name, value := range msg.MessageAttributes {
		if name == "reason" || name == "error" || name == "receive_count" {
			continue
		}
		attrs[name] = value
	}
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(sourceURL), MessageBody: msg.Body, MessageAttributes: attrs}); err != nil {
		return fmt.Errorf("send to %s: %w", sourceURL, err)
	}
	if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlqURL), ReceiptHandle: msg.ReceiptHandle}); err != nil {
		return fmt.Errorf("delete from %s after the copy was sent: %w", dlqURL, err)
	}
	return nil
}

func queueARN(ctx context.Context, client *sqs.Client, url string) (string, error) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("get the ARN of %s: %w", url, err)
	}
	return out.Attributes[string(types.QueueAttributeNameQueueArn)], nil
}

// purgeDLQ deletes every message of the DLQ after the user types the queue's name.
func purgeDLQ(ctx context.Context, client *sqs.Client, opts dlqOptions, stdin io.Reader, stdout io.Writer) error {
	name := opts.url[strings.LastIndex(opts.url, "/")+1:]
	if !opts.yes {
		fmt.Fprintf(stdout, "This deletes every message in %s for good. Type the queue name (%s) to confirm: ", opts.url, name)
		answer, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && strings.TrimSpace(answer) == "" {
			return fmt.Errorf("purge not confirmed: standard input gave no queue name (pass --yes to purge without a prompt)")
		}
		if strings.TrimSpace(answer) != name {
			return fmt.Errorf("purge cancelled: %q does not match the queue name %q", strings.TrimSpace(answer), name)
		}
	}
	if _, err := client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(opts.url)}); err != nil {
		return fmt.Errorf("purge %s: %w", opts.url, err)
	}
	fmt.Fprintf(stdout, "purged %s\n", opts.url)
	return nil
}
