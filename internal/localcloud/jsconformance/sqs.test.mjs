// Conformance of the local SQS with the AWS SDK for JavaScript v3 (@aws-sdk/client-sqs), an
// independent client: its MD5 checks of message bodies run on every send and receive, and
// its typed exceptions must match. Run with RELAY_ENDPOINT set to the server's URL:
//
//   RELAY_ENDPOINT=http://127.0.0.1:4566 node --test internal/localcloud/jsconformance/sqs.test.mjs
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import {
  SQSClient,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SendMessageBatchCommand,
  ReceiveMessageCommand,
  DeleteMessageCommand,
  DeleteMessageBatchCommand,
  ChangeMessageVisibilityCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  BatchEntryIdsNotDistinct,
} from "@aws-sdk/client-sqs";

const endpoint = process.env.RELAY_ENDPOINT;
if (!endpoint) {
  throw new Error("RELAY_ENDPOINT is not set: point it at the local cloud, such as http://127.0.0.1:4566");
}
const url = new URL(endpoint);
if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
  throw new Error(`RELAY_ENDPOINT ${endpoint} is not a loopback address`);
}

const client = new SQSClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "secret" },
  maxAttempts: 1,
});

const md5 = (s) => createHash("md5").update(s, "utf8").digest("hex");

// Computes MD5OfMessageAttributes as SQS does, independently of the Go implementation.
function attributesMD5(attrs) {
  const parts = [];
  const field = (buf) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(buf.length);
    parts.push(len, buf);
  };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name];
    field(Buffer.from(name, "utf8"));
    field(Buffer.from(a.DataType, "utf8"));
    if (a.DataType.startsWith("Binary")) {
      parts.push(Buffer.from([2]));
      field(Buffer.from(a.BinaryValue));
    } else {
      parts.push(Buffer.from([1]));
      field(Buffer.from(a.StringValue, "utf8"));
    }
  }
  return createHash("md5").update(Buffer.concat(parts)).digest("hex");
}

let queueUrl;
const attributes = {
  task: { DataType: "String", StringValue: "résumé" },
  attempt: { DataType: "Number", StringValue: "3" },
  blob: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 255]) },
};

before(async () => {
  // The client checks MD5OfBody and MD5OfMessageBody unless md5 is false; in this version it
  // defaults to a hash constructor. Fail loudly if a later version turns it off.
  assert.equal(typeof client.config.md5, "function", "the SQS client's MD5 checks are off");
  const out = await client.send(new CreateQueueCommand({ QueueName: `js-${randomUUID()}` }));
  queueUrl = out.QueueUrl;
  assert.ok(queueUrl.startsWith(endpoint), `QueueUrl ${queueUrl} is not on ${endpoint}`);
});

async function receiveAll(extra = {}) {
  const out = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
      ...extra,
    }),
  );
  return out.Messages ?? [];
}

async function drain() {
  for (let i = 0; i < 10; i++) {
    const msgs = await receiveAll();
    if (msgs.length === 0) return;
    for (const m of msgs) {
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

test("send and receive with attributes", async () => {
  const body = "hello from JS ✓";
  const sent = await client.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: attributes }),
  );
  assert.equal(sent.MD5OfMessageBody, md5(body));
  assert.equal(sent.MD5OfMessageAttributes, attributesMD5(attributes));

  const msgs = await receiveAll();
  assert.equal(msgs.length, 1);
  const m = msgs[0];
  assert.equal(m.MessageId, sent.MessageId);
  assert.equal(m.Body, body);
  assert.equal(m.MD5OfBody, md5(body));
  assert.equal(m.MD5OfMessageAttributes, attributesMD5(attributes));
  assert.equal(m.MessageAttributes.task.StringValue, "résumé");
  assert.equal(m.MessageAttributes.attempt.StringValue, "3");
  assert.deepEqual([...m.MessageAttributes.blob.BinaryValue], [0, 1, 2, 255]);
  assert.equal(m.Attributes.ApproximateReceiveCount, "1");
  assert.equal(m.Attributes.SenderId, "AKIDLOCAL");
  assert.match(m.Attributes.SentTimestamp, /^\d{13}$/);

  await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
  await drain();
});

test("send batch and delete batch", async () => {
  const entries = [1, 2, 3].map((i) => ({
    Id: `m${i}`,
    MessageBody: `batch ${i}`,
    MessageAttributes: { index: { DataType: "Number", StringValue: String(i) } },
  }));
  const sent = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  assert.equal(sent.Successful.length, 3);
  assert.equal((sent.Failed ?? []).length, 0);
  for (const s of sent.Successful) {
    const entry = entries.find((e) => e.Id === s.Id);
    assert.equal(s.MD5OfMessageBody, md5(entry.MessageBody));
    assert.equal(s.MD5OfMessageAttributes, attributesMD5(entry.MessageAttributes));
  }

  const msgs = await receiveAll();
  assert.equal(msgs.length, 3);
  const deleted = await client.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: msgs.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
    }),
  );
  assert.equal(deleted.Successful.length, 3);
  assert.equal((deleted.Failed ?? []).length, 0);
});

test("batch with a failed entry", async () => {
  const out = await client.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: [
        { Id: "good", MessageBody: "fine" },
        { Id: "bad", MessageBody: "control \u0001 character" },
      ],
    }),
  );
  assert.deepEqual(out.Successful.map((s) => s.Id), ["good"]);
  assert.equal(out.Failed.length, 1);
  assert.equal(out.Failed[0].Id, "bad");
  assert.equal(out.Failed[0].Code, "InvalidMessageContents");
  assert.equal(out.Failed[0].SenderFault, true);
  await drain();
});

test("change message visibility", async () => {
  await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "hide me" }));
  const [m] = await receiveAll({ VisibilityTimeout: 60 });
  assert.ok(m, "no message received");
  assert.equal((await receiveAll()).length, 0, "message visible during its visibility timeout");

  await client.send(
    new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
  );
  const again = await receiveAll();
  assert.equal(again.length, 1);
  assert.equal(again[0].Attributes.ApproximateReceiveCount, "2");
  assert.notEqual(again[0].ReceiptHandle, m.ReceiptHandle);

  const counts = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessagesNotVisible"] }),
  );
  assert.equal(counts.Attributes.ApproximateNumberOfMessagesNotVisible, "1");
  await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: again[0].ReceiptHandle }));
});

test("typed exceptions", async () => {
  await assert.rejects(
    client.send(new GetQueueUrlCommand({ QueueName: `missing-${randomUUID()}` })),
    (err) => {
      assert.ok(err instanceof QueueDoesNotExist, `got ${err.name}: ${err.message}`);
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.equal(err.$fault, "client");
      return true;
    },
  );
  await assert.rejects(
    client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: "not-a-handle" })),
    (err) => err instanceof ReceiptHandleIsInvalid,
  );
  await assert.rejects(
    client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: "same", MessageBody: "a" },
          { Id: "same", MessageBody: "b" },
        ],
      }),
    ),
    (err) => err instanceof BatchEntryIdsNotDistinct,
  );
});
