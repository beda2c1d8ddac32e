/**
 * S3 reads of the SageMaker provider: files inside a model's model.tar.gz
 * (such as the baseline statistics) and the request payloads that endpoint
 * data capture writes as JSON Lines.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import type { CapturedRequest } from '../types';
import { classifyAwsError, InvalidInputError, isNotFound } from './errors';

export interface S3Location {
  bucket: string;
  key: string;
}

export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new InvalidInputError(`invalid S3 URI "${uri}": expected s3://bucket/key`);
  return { bucket: match[1], key: match[2] };
}

async function getObject(s3: S3Client, uri: string, kind: string): Promise<Buffer> {
  const { bucket, key } = parseS3Uri(uri);
  try {
    const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await (result.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  } catch (err) {
    if (isNotFound(err) || ['NoSuchKey', 'NoSuchBucket', 'NotFound'].includes((err as { name?: string }).name ?? '')) {
      throw new InvalidInputError(`${kind} ${uri} not found`, { cause: err });
    }
    throw classifyAwsError(err, { operation: 'GetObject', resource: `${kind} ${uri}` });
  }
}

/**
 * Returns one file of a model archive: `modelArtifacts` is the
 * model.tar.gz SageMaker wrote, and `fileName` a path inside it (a leading
 * `./` in the archive is ignored).
 */
export async function readModelFile(s3: S3Client, modelArtifacts: string, fileName: string): Promise<string> {
  const archive = await getObject(s3, modelArtifacts, 'model archive');
  const expected = path.posix.normalize(fileName);
  let found: Buffer | undefined;
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      if (path.posix.normalize(entry.path) !== expected || entry.type !== 'File') {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        found = Buffer.concat(chunks);
      });
    },
  });
  try {
    await pipeline(Readable.from([archive]), parser);
  } catch (err) {
    throw new InvalidInputError(`the model archive ${modelArtifacts} is not a readable tar.gz: ${(err as Error).message}`, { cause: err });
  }
  if (!found) throw new InvalidInputError(`the model archive ${modelArtifacts} has no ${fileName}`);
  return found.toString('utf8');
}

/** Prefix under which data capture writes the files of one endpoint variant. */
export function capturePrefix(destinationS3Uri: string, endpointName: string, variantName: string): string {
  return `${destinationS3Uri.replace(/\/+$/, '')}/${endpointName}/${variantName}/`;
}

/** Returns the yyyy/mm/dd/hh part of a capture file key for a time, in UTC. */
function hourPath(time: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${time.getUTCFullYear()}/${pad(time.getUTCMonth() + 1)}/${pad(time.getUTCDate())}/${pad(time.getUTCHours())}/`;
}

interface CaptureRecord {
  captureData?: { endpointInput?: { data?: string; encoding?: string } };
  eventMetadata?: { inferenceTime?: string };
}

/**
 * Reads the request payloads captured in [start, end), newest last, at most
 * `limit`. Capture files sit under `<prefix>yyyy/mm/dd/hh/`, so keys sort by
 * time: listing starts after the hour of `start`, and files are read from the
 * newest back until `limit` records are found.
 */
export async function readCapturedRequests(
  s3: S3Client,
  prefixUri: string,
  start: string,
  end: string,
  limit: number,
): Promise<CapturedRequest[]> {
  const { bucket, key: prefix } = parseS3Uri(prefixUri);
  const from = new Date(start);
  const until = new Date(end);
  const keys: string[] = [];
  const beyond = hourPath(new Date(until.getTime() + 3_600_000));
  let token: string | undefined;
  do {
    let page;
    try {
      page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, StartAfter: `${prefix}${hourPath(from)}`.slice(0, -1), ContinuationToken: token }),
      );
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchBucket') return [];
      throw classifyAwsError(err, { operation: 'ListObjectsV2', resource: `data capture ${prefixUri}` });
    }
    let pastWindow = false;
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      // Keys sort by time, so the first key of an hour after `end` ends the listing.
      if (object.Key.slice(prefix.length) >= beyond) {
        pastWindow = true;
        break;
      }
      keys.push(object.Key);
    }
    token = !pastWindow && page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);

  const requests: CapturedRequest[] = [];
  for (const key of keys.sort().reverse()) {
    const text = (await getObject(s3, `s3://${bucket}/${key}`, 'data capture file')).toString('utf8');
    const inFile = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => toCapturedRequest(line, from, until));
    requests.unshift(...inFile.sort((a, b) => a.at.localeCompare(b.at)));
    if (requests.length >= limit) break;
  }
  return requests.sort((a, b) => a.at.localeCompare(b.at)).slice(-limit);
}

function toCapturedRequest(line: string, from: Date, until: Date): CapturedRequest[] {
  let record: CaptureRecord;
  try {
    record = JSON.parse(line) as CaptureRecord;
  } catch {
    return [];
  }
  const at = record.eventMetadata?.inferenceTime;
  const input = record.captureData?.endpointInput;
  if (!at || input?.data === undefined) return [];
  const time = Date.parse(at);
  if (!(time >= from.getTime() && time < until.getTime())) return [];
  const body = input.encoding === 'BASE64' ? Buffer.from(input.data, 'base64').toString('utf8') : input.data;
  return [{ at: new Date(time).toISOString(), body }];
}
