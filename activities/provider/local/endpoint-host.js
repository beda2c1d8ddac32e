'use strict';
/**
 * Hosts one local endpoint: `node endpoint-host.js STATE_DIR ENDPOINT_NAME ATTEMPT`.
 *
 * The provider starts it detached, so it outlives the worker. It listens on a
 * front port on 127.0.0.1 (kept across restarts when free) and runs the
 * model's inference command as a "container" on an internal port, with
 * SageMaker's hosting contract:
 *
 *   SM_MODEL_DIR             absolute path of the model's artifacts folder
 *   SAGEMAKER_BIND_TO_PORT   internal port the container must listen on (127.0.0.1)
 *   PORT                     the same port, for servers that read PORT
 *   SAGEMAKER_ENDPOINT_NAME  the endpoint's name
 *
 * The container is healthy once GET /ping returns 200. The front port
 * forwards GET /ping and POST /invocations to the serving container and
 * records every invocation (time, status, latency) in invocations.jsonl.
 * When the config sets captureInputs, it also appends the bodies of requests
 * that got a 2xx response to capture.jsonl.
 *
 * It watches endpoint.json: a higher revision is a blue/green update (start
 * the new config's container, switch once healthy, then stop the old one),
 * `desired: Deleting` or a missing file stops everything and exits. Hosting
 * is billed per instance-second of each healthy container, written to the
 * usage ledger periodically and at stop. The host is the only writer of the
 * endpoint's status.json while it lives.
 */
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const runtime = require('./runtime');

const WATCH_MS = 250;
const PING_INTERVAL_MS = 250;
const PING_TIMEOUT_MS = 2000;
/** SageMaker's limits for real-time invocations: 6 MB payload, 60 s for the container to respond. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const INVOCATION_TIMEOUT_MS = 60_000;
/** Number of serving-container crashes the host recovers from by starting a new container; one more marks the endpoint Failed. */
const MAX_CONTAINER_RESTARTS = 3;
const FAILURE_REASON_MAX_CHARS = 1024;

/** Raised when a container cannot be started or never becomes healthy. */
class ContainerError extends Error {}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Listens on `preferredPort` when it is free, so the endpoint keeps its URL across host restarts, else on any free port. */
function listen(server, preferredPort) {
  return new Promise((resolve, reject) => {
    const attempt = (port, fallback) => {
      const onError = (error) => {
        server.off('listening', onListening);
        if (fallback && (error.code === 'EADDRINUSE' || error.code === 'EACCES')) attempt(0, false);
        else reject(error);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve(server.address().port);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, '127.0.0.1');
    };
    attempt(preferredPort || 0, Boolean(preferredPort));
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/ping', timeout: PING_TIMEOUT_MS }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve({ body: Buffer.concat(chunks), size }));
    request.on('error', reject);
  });
}

function sendJson(response, status, body) {
  if (response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function runHost(stateDir, name, attempt) {
  const computeDir = path.join(stateDir, 'compute');
  const endpointDir = path.join(computeDir, 'endpoints', name);
  const dataDir = path.join(computeDir, 'endpoint-data', name);
  const recordFile = path.join(endpointDir, 'endpoint.json');
  const statusFile = path.join(endpointDir, 'status.json');
  const invocationsFile = path.join(dataDir, 'invocations.jsonl');
  const captureFile = path.join(dataDir, 'capture.jsonl');
  const log = runtime.createFileLogger(path.join(endpointDir, 'host.log'), { endpoint: name, attempt, pid: process.pid });
  // The host's stderr goes nowhere, so a crash is logged here; the provider then restarts the host.
  process.on('uncaughtException', (error) => {
    log.error({ err: error }, 'endpoint host crashed');
    process.exit(1);
  });

  const initialRecord = runtime.readJson(recordFile);
  if (!initialRecord) throw new Error(`endpoint record ${recordFile} is missing, so the endpoint was deleted; this host exits`);
  const { settings, tags } = initialRecord;
  const previous = runtime.readJson(statusFile) || {};
  // A restarted host serves what its predecessor served: after a failed update
  // that is the old config, not the record's. A pending update is applied once InService.
  const serving =
    previous.configName && previous.revision > 0
      ? { configName: previous.configName, revision: previous.revision }
      : { configName: initialRecord.configName, revision: initialRecord.revision };

  const state = {
    name,
    status: 'Creating',
    configName: serving.configName,
    // The revision this host brings up, so a host that dies while Creating still tells its successor what to serve.
    revision: serving.revision,
    failureReason: undefined,
    url: undefined,
    port: undefined,
    attempt,
    inServiceAttempt: previous.inServiceAttempt || 0,
  };
  /** Containers by id: starting, serving, or stopped but not yet fully billed. */
  const fleets = new Map();
  let active;
  let fleetCount = 0;
  let updating = false;
  let shuttingDown = false;
  let crashRestarts = 0;
  const timers = [];

  function writeStatus() {
    try {
      writeStatusFile();
    } catch (error) {
      // The provider moves the folder away when it deletes the endpoint; the watcher then stops this host.
      if (error.code !== 'ENOENT') throw error;
    }
  }

  function writeStatusFile() {
    runtime.writeJsonAtomic(statusFile, {
      ...state,
      hostPid: process.pid,
      heartbeatAt: new Date().toISOString(),
      fleets: [...fleets.values()].map((fleet) => ({
        id: fleet.id,
        configName: fleet.configName,
        pid: fleet.child.pid,
        instanceType: fleet.config.instanceType,
        instanceCount: fleet.config.instanceCount,
        pricePerHourUsd: fleet.config.pricePerHourUsd,
        billingSince: fleet.billingSince && fleet.billingSince.toISOString(),
        billedUntil: fleet.billedUntil && fleet.billedUntil.toISOString(),
        billingEnd: fleet.billingEnd && fleet.billingEnd.toISOString(),
      })),
    });
  }

  function flushLedger() {
    const now = new Date();
    for (const fleet of fleets.values()) {
      if (!fleet.billingSince) continue;
      const end = fleet.billingEnd || now;
      const start = fleet.billedUntil || fleet.billingSince;
      if (end > start) {
        runtime.appendLedger(
          stateDir,
          runtime.billedInterval({
            resource: name,
            kind: 'hosting',
            tags,
            start,
            end,
            instanceType: fleet.config.instanceType,
            instanceCount: fleet.config.instanceCount,
            pricePerHourUsd: fleet.config.pricePerHourUsd,
            extra: { configName: fleet.configName },
          }),
        );
        fleet.billedUntil = end;
      }
      if (fleet.billingEnd) fleets.delete(fleet.id);
    }
    for (const fleet of fleets.values()) {
      if (fleet.exited && !fleet.billingSince) fleets.delete(fleet.id);
    }
  }

  function loadConfig(configName) {
    const config = runtime.readJson(path.join(computeDir, 'endpoint-configs', `${configName}.json`));
    if (!config) throw new ContainerError(`endpoint config ${configName} not found; it was deleted while the endpoint needed it`);
    const model = runtime.readJson(path.join(computeDir, 'models', `${config.modelName}.json`));
    if (!model) throw new ContainerError(`model ${config.modelName} of endpoint config ${configName} not found; it was deleted while the endpoint needed it`);
    return { config, model };
  }

  /** Starts a container for `configName` and resolves once it is healthy; rejects with the log tail when it exits or times out. */
  async function startFleet(configName) {
    const { config, model } = loadConfig(configName);
    const port = await freePort();
    const id = `${attempt}-${++fleetCount}`;
    const marker = `${endpointDir}#fleet-${id}`;
    const containersDir = path.join(endpointDir, 'containers');
    fs.mkdirSync(containersDir, { recursive: true });
    const output = fs.createWriteStream(path.join(containersDir, `${id}-${configName}.log`), { flags: 'a' });
    const tail = runtime.createLineTail(30);
    const env = runtime.childEnvironment({
      SM_MODEL_DIR: model.modelArtifacts,
      SAGEMAKER_BIND_TO_PORT: String(port),
      PORT: String(port),
      SAGEMAKER_ENDPOINT_NAME: name,
      [runtime.MARKER_ENV]: marker,
    });
    const child = spawn(model.command[0], model.command.slice(1), {
      cwd: model.workingDirectory,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const fleet = { id, configName, config, model, port, child, marker, tail, exited: false, stopping: false };
    let spawnError;
    child.on('error', (error) => {
      spawnError = error;
      fleet.exited = true;
    });
    if (child.pid === undefined) {
      await new Promise((resolve) => setImmediate(resolve));
      throw new ContainerError(
        `could not start the inference command ${JSON.stringify(model.command[0])} of model ${config.modelName}: ${spawnError ? spawnError.message : 'unknown error'}`,
      );
    }
    fleets.set(id, fleet);
    const streamsClosed = Promise.all(
      [child.stdout, child.stderr].map((stream) => {
        runtime.forEachLine(stream, (line) => {
          output.write(`${line}\n`);
          tail.push(line);
        });
        return new Promise((resolve) => stream.on('close', resolve));
      }),
    );
    child.on('exit', (code, signal) => {
      fleet.exited = true;
      fleet.exit = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
      if (fleet.billingSince && !fleet.billingEnd) fleet.billingEnd = new Date();
      runtime.signalResource(child.pid, marker, 'SIGKILL');
      output.end();
      log.info({ fleet: id, configName, code, signal }, 'inference container exited');
      onFleetExit(fleet);
    });
    log.info({ fleet: id, configName, port, pid: child.pid }, 'inference container started');

    const deadline = Date.now() + settings.endpointStartupTimeoutSeconds * 1000;
    while (!fleet.exited && Date.now() < deadline && !shuttingDown) {
      if (await ping(port)) {
        fleet.billingSince = new Date();
        log.info({ fleet: id, configName }, 'inference container healthy');
        return fleet;
      }
      await runtime.sleep(PING_INTERVAL_MS);
    }
    const cause = shuttingDown
      ? 'the endpoint host stopped'
      : fleet.exited
        ? `the inference container ${fleet.exit || 'could not start'} before it returned 200 on GET /ping`
        : `the inference container did not return 200 on GET /ping within ${settings.endpointStartupTimeoutSeconds} s`;
    if (!fleet.exited) await stopFleet(fleet);
    // The last lines of output can arrive after the exit event.
    await Promise.race([streamsClosed, runtime.sleep(1000)]);
    const prefix = `${cause} (endpoint config ${configName}); last output:\n`;
    throw new ContainerError(prefix + tail.text(FAILURE_REASON_MAX_CHARS - prefix.length));
  }

  async function stopFleet(fleet) {
    if (fleet.stopping) return;
    fleet.stopping = true;
    if (fleet.billingSince && !fleet.billingEnd) fleet.billingEnd = new Date();
    await runtime.terminateResource(fleet.child.pid, fleet.marker, settings.stopGraceSeconds * 1000);
  }

  function onFleetExit(fleet) {
    if (shuttingDown || fleet.stopping || fleet !== active) return;
    active = undefined;
    crashRestarts += 1;
    log.warn({ fleet: fleet.id, exit: fleet.exit, crashRestarts }, 'serving container exited unexpectedly');
    if (crashRestarts > MAX_CONTAINER_RESTARTS) {
      const prefix = `the inference container of endpoint config ${fleet.configName} ${fleet.exit}, ${crashRestarts} times; last output:\n`;
      fail(prefix + fleet.tail.text(FAILURE_REASON_MAX_CHARS - prefix.length));
      return;
    }
    startFleet(fleet.configName)
      .then((replacement) => {
        if (shuttingDown) return;
        if (!active) active = replacement;
        writeStatus();
      })
      .catch((error) => fail(error.message));
  }

  function fail(reason) {
    if (shuttingDown) return;
    state.status = 'Failed';
    state.failureReason = reason.slice(0, FAILURE_REASON_MAX_CHARS);
    log.error({ reason }, 'endpoint failed');
    shutdown('failed').catch((error) => log.error({ err: error }, 'shutdown failed'));
  }

  async function update(record) {
    updating = true;
    state.status = 'Updating';
    state.targetConfigName = record.configName;
    writeStatus();
    log.info({ from: state.configName, to: record.configName, revision: record.revision }, 'blue/green update started');
    try {
      const fleet = await startFleet(record.configName);
      if (shuttingDown) return;
      const old = active;
      active = fleet;
      state.configName = record.configName;
      state.failureReason = undefined;
      state.status = 'InService';
      state.revision = record.revision;
      crashRestarts = 0;
      writeStatus();
      log.info({ configName: record.configName }, 'traffic switched to the new container');
      if (old) await stopFleet(old);
    } catch (error) {
      if (shuttingDown) return;
      state.status = 'InService';
      state.revision = record.revision;
      state.failureReason = `update to endpoint config ${record.configName} failed, so the endpoint still serves ${state.configName}: ${error.message}`.slice(0, FAILURE_REASON_MAX_CHARS);
      log.error({ configName: record.configName, err: error }, 'blue/green update failed; kept the current container');
    } finally {
      updating = false;
      state.targetConfigName = undefined;
      writeStatus();
    }
  }

  function recordInvocation(at, status, latencyMs, configName) {
    runtime.appendJsonLine(invocationsFile, { at: at.toISOString(), status, latencyMs, configName });
  }

  async function proxyInvocation(request, response) {
    const at = new Date();
    const { body, size } = await readBody(request);
    if (size > MAX_PAYLOAD_BYTES) {
      recordInvocation(at, 413, undefined, undefined);
      sendJson(response, 413, { error: `request body of ${size} bytes is larger than the ${MAX_PAYLOAD_BYTES}-byte limit` });
      return;
    }
    const fleet = active;
    if (!fleet) {
      recordInvocation(at, 503, undefined, undefined);
      sendJson(response, 503, { error: `endpoint ${name} has no healthy inference container; its status is ${state.status}` });
      return;
    }
    const started = process.hrtime.bigint();
    const upstream = http.request({
      host: '127.0.0.1',
      port: fleet.port,
      method: 'POST',
      path: '/invocations',
      timeout: INVOCATION_TIMEOUT_MS,
      headers: {
        'content-type': request.headers['content-type'] || 'application/json',
        accept: request.headers.accept || '*/*',
        'content-length': body.length,
      },
    });
    upstream.on('response', (reply) => {
      const chunks = [];
      reply.on('data', (chunk) => chunks.push(chunk));
      reply.on('end', () => {
        const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
        const payload = Buffer.concat(chunks);
        // Records are written before the reply, so a caller that received its response finds its invocation counted.
        recordInvocation(at, reply.statusCode, latencyMs, fleet.configName);
        if (fleet.config.captureInputs && reply.statusCode >= 200 && reply.statusCode < 300) {
          runtime.appendJsonLine(captureFile, { at: at.toISOString(), body: body.toString('utf8'), configName: fleet.configName });
        }
        response.writeHead(reply.statusCode, {
          'content-type': reply.headers['content-type'] || 'application/octet-stream',
          'content-length': payload.length,
        });
        response.end(payload);
      });
    });
    upstream.on('timeout', () => {
      upstream.destroy(Object.assign(new Error(`timed out after ${INVOCATION_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' }));
    });
    upstream.on('error', (error) => {
      const status = error.code === 'ETIMEDOUT' ? 504 : 502;
      recordInvocation(at, status, undefined, fleet.configName);
      sendJson(response, status, { error: `the inference container did not answer: ${error.message}` });
    });
    upstream.end(body);
  }

  function proxyPing(response) {
    const fleet = active;
    if (!fleet) {
      response.writeHead(503).end();
      return;
    }
    ping(fleet.port).then((healthy) => response.writeHead(healthy ? 200 : 503).end());
  }

  const server = http.createServer((request, response) => {
    const route = `${request.method} ${request.url.split('?')[0]}`;
    if (route === 'GET /ping') {
      proxyPing(response);
    } else if (route === 'POST /invocations') {
      proxyInvocation(request, response).catch((error) => {
        log.error({ err: error }, 'invocation failed in the endpoint host');
        sendJson(response, 500, { error: `endpoint host error: ${error.message}` });
      });
    } else {
      sendJson(response, 404, { error: `no route ${route}; use GET /ping or POST /invocations` });
    }
  });

  async function shutdown(reason) {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const timer of timers) clearInterval(timer);
    log.info({ reason }, 'endpoint host stopping');
    server.close();
    server.closeAllConnections();
    await Promise.all([...fleets.values()].map((fleet) => stopFleet(fleet)));
    flushLedger();
    if (reason === 'delete') state.status = 'Deleting';
    if (reason === 'signal') state.interrupted = true;
    active = undefined;
    writeStatus();
    process.exit(0);
  }

  function watch() {
    if (shuttingDown) return;
    let record;
    try {
      record = runtime.readJson(recordFile);
    } catch (error) {
      log.warn({ err: error }, 'could not read the endpoint record');
      return;
    }
    if (!record || record.desired === 'Deleting' || record.createdAt !== initialRecord.createdAt) {
      shutdown('delete').catch((error) => log.error({ err: error }, 'shutdown failed'));
      return;
    }
    if (!updating && state.status === 'InService' && record.revision > state.revision) {
      update(record).catch((error) => log.error({ err: error }, 'update failed'));
    }
  }

  async function start() {
    const port = await listen(server, previous.port);
    state.port = port;
    state.url = `http://127.0.0.1:${port}`;
    writeStatus();
    log.info({ url: state.url, configName: serving.configName }, 'endpoint host listening');

    timers.push(setInterval(watch, WATCH_MS));
    timers.push(setInterval(writeStatus, settings.heartbeatSeconds * 1000));
    timers.push(
      setInterval(() => {
        flushLedger();
        writeStatus();
      }, settings.ledgerIntervalSeconds * 1000),
    );
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
      process.on(signal, () => {
        const record = runtime.readJson(recordFile);
        const deleting = !record || record.desired === 'Deleting';
        shutdown(deleting ? 'delete' : 'signal').catch((error) => log.error({ err: error }, 'shutdown failed'));
      });
    }

    try {
      const fleet = await startFleet(serving.configName);
      if (shuttingDown) return;
      active = fleet;
      state.status = 'InService';
      state.revision = serving.revision;
      state.inServiceAttempt = attempt;
      writeStatus();
      log.info({ configName: serving.configName }, 'endpoint in service');
    } catch (error) {
      fail(error.message);
    }
  }

  return start();
}

function main() {
  const [stateDir, name, attemptText] = process.argv.slice(2);
  const attempt = Number(attemptText);
  if (!stateDir || !name || !Number.isInteger(attempt) || attempt < 1) {
    process.stderr.write('usage: node endpoint-host.js STATE_DIR ENDPOINT_NAME ATTEMPT (started by the local provider)\n');
    process.exit(2);
  }
  runHost(stateDir, name, attempt).catch((error) => {
    process.stderr.write(`endpoint host failed: ${error.stack}\n`);
    process.exit(1);
  });
}

main();
