// Conformance of the local SNS with the AWS SDK for JavaScript v3 (@aws-sdk/client-sns), an
// independent client of the query protocol. Run with RELAY_ENDPOINT set to the local SNS,
// for example: RELAY_ENDPOINT=http://127.0.0.1:4566 node --test sns.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import {
  SNSClient,
  CreateTopicCommand,
  GetTopicAttributesCommand,
  SubscribeCommand,
  ConfirmSubscriptionCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  PublishBatchCommand,
  UnsubscribeCommand,
  NotFoundException,
  InvalidParameterException,
  InvalidParameterValueException,
  TooManyEntriesInBatchRequestException,
  BatchEntryIdsNotDistinctException,
} from "@aws-sdk/client-sns";

const endpoint = process.env.RELAY_ENDPOINT;
if (!endpoint) {
  throw new Error("RELAY_ENDPOINT is not set: point it at the local SNS, such as http://127.0.0.1:4566");
}
const { hostname } = new URL(endpoint);
if (!["127.0.0.1", "localhost", "[::1]"].includes(hostname)) {
  throw new Error(`RELAY_ENDPOINT ${endpoint} is not a loopback address; these tests only talk to a local SNS`);
}

const client = new SNSClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local-secret" },
  maxAttempts: 1,
});

const suffix = `${process.pid}-${Date.now()}`;
const queueARN = "arn:aws:sqs:us-east-1:000000000000:relay-jobs";

// A loopback HTTP subscriber that records every POST and lets a test wait for the n-th.
const posts = [];
const waiters = [];
let subscriber;
let subscriberURL;

function nextPost(n) {
  if (posts.length >= n) return Promise.resolve(posts[n - 1]);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`HTTP subscriber got ${posts.length} posts after 10 s, want ${n}`)), 10_000);
    waiters.push({ n, resolve: (post) => { clearTimeout(timer); resolve(post); } });
  });
}

before(async () => {
  subscriber = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      posts.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200).end();
      for (const waiter of waiters.splice(0)) {
        if (posts.length >= waiter.n) waiter.resolve(posts[waiter.n - 1]);
        else waiters.push(waiter);
      }
    });
  });
  await new Promise((resolve) => subscriber.listen(0, "127.0.0.1", resolve));
  subscriberURL = `http://127.0.0.1:${subscriber.address().port}/hook`;
});

after(async () => {
  client.destroy();
  await new Promise((resolve) => subscriber.close(resolve));
});

test("CreateTopic is idempotent and GetTopicAttributes reads it", async () => {
  const name = `js-topic-${suffix}`;
  const first = await client.send(new CreateTopicCommand({ Name: name }));
  assert.equal(first.TopicArn, `arn:aws:sns:us-east-1:000000000000:${name}`);
  const second = await client.send(new CreateTopicCommand({ Name: name }));
  assert.equal(second.TopicArn, first.TopicArn);
  const attrs = await client.send(new GetTopicAttributesCommand({ TopicArn: first.TopicArn }));
  assert.equal(attrs.Attributes.TopicArn, first.TopicArn);
  assert.equal(attrs.Attributes.SubscriptionsConfirmed, "0");
});

test("http subscribe, confirm, and publish with attributes", async () => {
  const { TopicArn } = await client.send(new CreateTopicCommand({ Name: `js-http-${suffix}` }));
  const subscribed = await client.send(new SubscribeCommand({ TopicArn, Protocol: "http", Endpoint: subscriberURL }));
  assert.equal(subscribed.SubscriptionArn, "pending confirmation");

  const confirmation = await nextPost(1);
  assert.equal(confirmation.headers["x-amz-sns-message-type"], "SubscriptionConfirmation");
  const request = JSON.parse(confirmation.body);
  assert.equal(request.Type, "SubscriptionConfirmation");
  assert.equal(request.TopicArn, TopicArn);
  assert.match(request.SubscribeURL, /Action=ConfirmSubscription/);

  const confirmed = await client.send(new ConfirmSubscriptionCommand({ TopicArn, Token: request.Token }));
  assert.ok(confirmed.SubscriptionArn.startsWith(`${TopicArn}:`), confirmed.SubscriptionArn);

  const listed = await client.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
  assert.equal(listed.Subscriptions.length, 1);
  assert.equal(listed.Subscriptions[0].SubscriptionArn, confirmed.SubscriptionArn);

  const published = await client.send(new PublishCommand({
    TopicArn,
    Message: JSON.stringify({ default: JSON.stringify({ jobId: "j-1", status: "failed" }) }),
    MessageStructure: "json",
    Subject: "Job finished",
    MessageAttributes: {
      status: { DataType: "String", StringValue: "failed" },
      attempt: { DataType: "Number", StringValue: "2" },
      digest: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
      tags: { DataType: "String.Array", StringValue: JSON.stringify(["a", "b"]) },
    },
  }));
  assert.match(published.MessageId, /^[0-9a-f-]{36}$/);

  const notification = await nextPost(2);
  const envelope = JSON.parse(notification.body);
  assert.equal(envelope.Type, "Notification");
  assert.equal(envelope.MessageId, published.MessageId);
  assert.equal(envelope.Subject, "Job finished");
  assert.deepEqual(JSON.parse(envelope.Message), { jobId: "j-1", status: "failed" });
  assert.match(envelope.Timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(envelope.SignatureVersion, "1");
  assert.ok(envelope.Signature.length > 0);
  assert.deepEqual(envelope.MessageAttributes, {
    status: { Type: "String", Value: "failed" },
    attempt: { Type: "Number", Value: "2" },
    digest: { Type: "Binary", Value: Buffer.from([1, 2, 3]).toString("base64") },
    tags: { Type: "String.Array", Value: '["a","b"]' },
  });

  await client.send(new UnsubscribeCommand({ SubscriptionArn: confirmed.SubscriptionArn }));
});

test("PublishBatch reports a failed entry", async () => {
  const { TopicArn } = await client.send(new CreateTopicCommand({ Name: `js-batch-${suffix}` }));
  await client.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: queueARN }));
  const out = await client.send(new PublishBatchCommand({
    TopicArn,
    PublishBatchRequestEntries: [
      { Id: "good", Message: "fine", MessageAttributes: { status: { DataType: "String", StringValue: "succeeded" } } },
      { Id: "no-default", Message: JSON.stringify({ sqs: "x" }), MessageStructure: "json" },
    ],
  }));
  assert.equal(out.Successful.length, 1);
  assert.equal(out.Successful[0].Id, "good");
  assert.match(out.Successful[0].MessageId, /^[0-9a-f-]{36}$/);
  assert.equal(out.Failed.length, 1);
  assert.equal(out.Failed[0].Id, "no-default");
  assert.equal(out.Failed[0].Code, "InvalidParameter");
  assert.equal(out.Failed[0].SenderFault, true);
  assert.equal(out.Failed[0].Message, "Invalid parameter: Message Structure - No default entry in JSON message body");
});

test("typed exceptions", async () => {
  await assert.rejects(
    client.send(new GetTopicAttributesCommand({ TopicArn: `arn:aws:sns:us-east-1:000000000000:missing-${suffix}` })),
    (err) => err instanceof NotFoundException && err.message === "Topic does not exist" && err.$metadata.httpStatusCode === 404,
  );

  const { TopicArn } = await client.send(new CreateTopicCommand({ Name: `js-errors-${suffix}` }));
  await assert.rejects(
    client.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ lambda: "x" }), MessageStructure: "json" })),
    (err) => err instanceof InvalidParameterException &&
      err.message === "Invalid parameter: Message Structure - No default entry in JSON message body",
  );
  await assert.rejects(
    client.send(new PublishCommand({ TopicArn, Message: "m", MessageAttributes: { n: { DataType: "Number", StringValue: "NaN-ish" } } })),
    (err) => err instanceof InvalidParameterValueException,
  );
  await assert.rejects(
    client.send(new SubscribeCommand({ TopicArn, Protocol: "http", Endpoint: "http://example.com/hook" })),
    (err) => err instanceof InvalidParameterException,
  );
  const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: "m" }));
  await assert.rejects(
    client.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: eleven })),
    (err) => err instanceof TooManyEntriesInBatchRequestException,
  );
  await assert.rejects(
    client.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: "a", Message: "m" }, { Id: "a", Message: "m" }] })),
    (err) => err instanceof BatchEntryIdsNotDistinctException,
  );
});
