/**
 * Reading from S3 what SageMaker writes there: a file inside a model's
 * model.tar.gz, and the JSON Lines files of endpoint data capture, against
 * moto's S3 through the SDK client.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { create as createTar } from 'tar';
import { createAwsClients } from '../../../../activities/provider/sagemaker';
import { readCapturedRequests, readModelFile } from '../../../../activities/provider/sagemaker/s3';
import { allowLocalhostOnly, useMoto, useMotoEnvironment } from '../../../support/moto';

const moto = useMoto();
let s3: S3Client;
const BUCKET = 'capture-bucket';
const PREFIX = `s3://${BUCKET}/out/data-capture/churn-endpoint/AllTraffic/`;

beforeEach(async () => {
  useMotoEnvironment(moto.url);
  s3 = allowLocalhostOnly(createAwsClients({ region: 'us-east-1', endpoint: moto.url, maxAttempts: 1 }).s3);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

async function archive(files: Record<string, string>, prefix = ''): Promise<Buffer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-archive-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of createTar({ gzip: true, cwd: dir, portable: true }, Object.keys(files).map((f) => `${prefix}${f}`))) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function captureLine(at: Date, body: string, encoding: 'BASE64' | 'JSON'): string {
  const data = encoding === 'BASE64' ? Buffer.from(body).toString('base64') : body;
  return JSON.stringify({
    captureData: { endpointInput: { observedContentType: 'application/json', mode: 'INPUT', data, encoding } },
    eventMetadata: { eventId: `e-${at.getTime()}`, inferenceTime: at.toISOString() },
    eventVersion: '0',
  });
}

function hourKey(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `out/data-capture/churn-endpoint/AllTraffic/${at.getUTCFullYear()}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}/${pad(at.getUTCHours())}`;
}

async function putCapture(at: Date, lines: string[]): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${hourKey(at)}/${at.getTime()}.jsonl`, Body: lines.join('\n') }));
}

test('baseline read from model archive', async () => {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'model/model.tar.gz', Body: await archive({ 'baseline.json': '{"rows":1}', 'model.bin': 'w' }, './') }));

  expect(await readModelFile(s3, `s3://${BUCKET}/model/model.tar.gz`, 'baseline.json')).toBe('{"rows":1}');
});

test('missing file in archive is invalid input', async () => {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'model/model.tar.gz', Body: await archive({ 'model.bin': 'w' }) }));

  await expect(readModelFile(s3, `s3://${BUCKET}/model/model.tar.gz`, 'baseline.json')).rejects.toMatchObject({
    name: 'InvalidInput',
    message: expect.stringContaining('has no baseline.json'),
  });
  await expect(readModelFile(s3, `s3://${BUCKET}/model/absent.tar.gz`, 'baseline.json')).rejects.toMatchObject({
    name: 'InvalidInput',
    message: expect.stringContaining('not found'),
  });
});

test('captured requests within the window only', async () => {
  const base = new Date('2026-03-01T10:30:00Z');
  const minutes = (n: number) => new Date(base.getTime() + n * 60_000);
  await putCapture(minutes(-120), [captureLine(minutes(-120), '{"a":0}', 'JSON')]);
  await putCapture(minutes(0), [captureLine(minutes(0), '{"a":1}', 'BASE64'), captureLine(minutes(1), '{"a":2}', 'JSON')]);
  await putCapture(minutes(45), [captureLine(minutes(45), '{"a":3}', 'BASE64'), 'not json']);
  await putCapture(minutes(200), [captureLine(minutes(200), '{"a":4}', 'JSON')]);

  const requests = await readCapturedRequests(s3, PREFIX, minutes(0).toISOString(), minutes(60).toISOString(), 100);

  expect(requests.map((r) => r.body)).toEqual(['{"a":1}', '{"a":2}', '{"a":3}']);
  expect(requests[0].at).toBe(minutes(0).toISOString());
});

test('captured requests keep the newest', async () => {
  const base = new Date('2026-03-01T10:00:00Z');
  for (let file = 0; file < 3; file++) {
    const at = new Date(base.getTime() + file * 10 * 60_000);
    await putCapture(at, [0, 1].map((i) => captureLine(new Date(at.getTime() + i * 1000), `{"n":${file * 2 + i}}`, 'JSON')));
  }

  const requests = await readCapturedRequests(s3, PREFIX, base.toISOString(), new Date(base.getTime() + 3_600_000).toISOString(), 3);

  expect(requests.map((r) => r.body)).toEqual(['{"n":3}', '{"n":4}', '{"n":5}']);
});

test('no capture files means no requests', async () => {
  expect(await readCapturedRequests(s3, PREFIX, '2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z', 10)).toEqual([]);
  expect(await readCapturedRequests(s3, 's3://absent-bucket/x/', '2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z', 10)).toEqual([]);
});
