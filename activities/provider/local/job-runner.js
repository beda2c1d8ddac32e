'use strict';
/**
 * Runs one attempt of a local training job: `node job-runner.js STATE_DIR JOB_NAME ATTEMPT`.
 *
 * The provider starts it detached, so it outlives the worker. It runs the
 * job's command in its own process group with SageMaker's training
 * environment and copies the command's output to training.log. While the
 * command runs, it parses metrics with the job's regexes, samples CPU and
 * memory of the process tree and enforces maxRuntimeSeconds. It writes the
 * job's status.json (as its only writer while it lives) and the billed time
 * to the usage ledger.
 *
 * A stop request is the file stop.json, which the runner polls for. SIGTERM, SIGINT or SIGHUP without stop.json (such as a machine
 * shutdown) stops the command and leaves the job InProgress/Interrupted, so
 * the provider restarts it on its next describe.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const runtime = require('./runtime');

const STOP_POLL_MS = 200;
const FIRST_SAMPLE_MS = 50;
/** SageMaker's FailureReason is at most 1024 characters long. */
const FAILURE_REASON_MAX_CHARS = 1024;
const TAIL_LINES = 30;
const CURRENT_HOST = 'algo-1';

/** Raised for a problem of the job's request or inputs; the job ends Failed with this message. */
class JobSetupError extends Error {}

function decodeHyperparameter(value) {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Returns the folder a channel is mounted at: a folder is used in place, a single file is linked into a folder of its own. */
function channelFolder(jobDir, workingDirectory, channel, location) {
  if (/^s3:\/\//i.test(location)) {
    throw new JobSetupError(`channel ${channel} is the S3 URI ${location}; the local provider reads local paths only`);
  }
  const resolved = path.resolve(workingDirectory, location);
  let stat;
  try {
    stat = fs.statSync(resolved);
  } catch {
    throw new JobSetupError(`channel ${channel}: ${resolved} does not exist; check the channel path (relative paths resolve against ${workingDirectory})`);
  }
  if (stat.isDirectory()) return resolved;
  const folder = path.join(jobDir, 'input', 'data', channel);
  fs.mkdirSync(folder, { recursive: true });
  fs.symlinkSync(resolved, path.join(folder, path.basename(resolved)));
  return folder;
}

/** Prepares the job's folders and returns the environment of SageMaker's training contract. */
function trainingEnvironment(jobDir, name, request, marker) {
  const modelDir = path.join(jobDir, 'model');
  const outputDir = path.join(jobDir, 'output');
  const outputDataDir = path.join(outputDir, 'data');
  const inputDir = path.join(jobDir, 'input');
  const configDir = path.join(inputDir, 'config');
  // Each attempt starts from empty folders, like a fresh container after a spot interruption.
  for (const dir of [modelDir, outputDir, inputDir]) fs.rmSync(dir, { recursive: true, force: true });
  for (const dir of [modelDir, outputDataDir, configDir]) fs.mkdirSync(dir, { recursive: true });

  const channelNames = Object.keys(request.channels).sort();
  const channelDirs = {};
  for (const channel of channelNames) {
    channelDirs[channel] = channelFolder(jobDir, request.workingDirectory, channel, request.channels[channel]);
  }
  const hyperparameters = Object.fromEntries(Object.entries(request.hyperparameters).map(([key, value]) => [key, decodeHyperparameter(value)]));
  const hosts = [CURRENT_HOST];
  const numCpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const resourceConfig = { current_host: CURRENT_HOST, hosts };
  const inputDataConfig = Object.fromEntries(channelNames.map((channel) => [channel, { TrainingInputMode: 'File' }]));

  fs.writeFileSync(path.join(configDir, 'hyperparameters.json'), JSON.stringify(request.hyperparameters));
  fs.writeFileSync(path.join(configDir, 'resourceconfig.json'), JSON.stringify(resourceConfig));
  fs.writeFileSync(path.join(configDir, 'inputdataconfig.json'), JSON.stringify(inputDataConfig));

  const trainingEnv = {
    job_name: name,
    channel_input_dirs: channelDirs,
    current_host: CURRENT_HOST,
    hosts,
    hyperparameters,
    input_data_config: inputDataConfig,
    input_dir: inputDir,
    input_config_dir: configDir,
    model_dir: modelDir,
    output_dir: outputDir,
    output_data_dir: outputDataDir,
    num_cpus: numCpus,
    num_gpus: 0,
    resource_config: resourceConfig,
  };
  const env = {
    TRAINING_JOB_NAME: name,
    SM_MODEL_DIR: modelDir,
    SM_OUTPUT_DIR: outputDir,
    SM_OUTPUT_DATA_DIR: outputDataDir,
    SM_INPUT_DIR: inputDir,
    SM_INPUT_CONFIG_DIR: configDir,
    SM_CHANNELS: JSON.stringify(channelNames),
    SM_HPS: JSON.stringify(hyperparameters),
    SM_CURRENT_HOST: CURRENT_HOST,
    SM_HOSTS: JSON.stringify(hosts),
    SM_NUM_CPUS: String(numCpus),
    SM_NUM_GPUS: '0',
    SM_RESOURCE_CONFIG: JSON.stringify(resourceConfig),
    SM_INPUT_DATA_CONFIG: JSON.stringify(inputDataConfig),
    SM_TRAINING_ENV: JSON.stringify(trainingEnv),
    [runtime.MARKER_ENV]: marker,
  };
  // Upper-cased like the SageMaker training toolkit does it; other characters are kept as they are.
  for (const channel of channelNames) env[`SM_CHANNEL_${channel.toUpperCase()}`] = channelDirs[channel];
  for (const [key, value] of Object.entries(request.hyperparameters)) env[`SM_HP_${key.toUpperCase()}`] = value;
  return runtime.childEnvironment(env);
}

function createMetricParser(definitions, metrics) {
  const compiled = definitions.map((definition) => ({ name: definition.name, regex: new RegExp(definition.regex) }));
  return (line) => {
    for (const { name, regex } of compiled) {
      const match = regex.exec(line);
      if (match && match[1] !== undefined) {
        const value = Number(match[1]);
        if (Number.isFinite(value)) metrics[name] = value;
      }
    }
  };
}

function runAttempt(stateDir, name, attempt) {
  const jobDir = path.join(stateDir, 'compute', 'training-jobs', name);
  const statusFile = path.join(jobDir, 'status.json');
  const stopFile = path.join(jobDir, 'stop.json');
  const log = runtime.createFileLogger(path.join(jobDir, 'runner.log'), { job: name, attempt, pid: process.pid });
  // The runner's stderr goes nowhere, so a crash is logged here; the provider then restarts the job.
  process.on('uncaughtException', (error) => {
    log.error({ err: error }, 'job runner crashed');
    process.exit(1);
  });
  const job = runtime.readJson(path.join(jobDir, 'job.json'));
  if (!job) throw new Error(`job record ${path.join(jobDir, 'job.json')} is missing`);
  const { request, settings } = job;
  const marker = `${jobDir}#${attempt}`;
  const started = new Date();
  let ledgerFlushedUntil = started;

  let status = runtime.readJson(statusFile) || {};
  const priorRunSeconds = status.priorRunSeconds || 0;
  const metrics = status.metrics || {};
  const usage = status.usage || { samples: 0, cpuSum: 0, cpuMax: 0, memoryMiBMax: 0 };
  status = {
    ...status,
    name,
    status: 'InProgress',
    secondaryStatus: 'Starting',
    startTime: status.startTime || started.toISOString(),
    attempt,
    attemptStartTime: started.toISOString(),
    heartbeatAt: started.toISOString(),
    ledgerFlushedUntil: started.toISOString(),
    priorRunSeconds,
    runSeconds: priorRunSeconds,
    metrics,
    usage,
    stopRequested: false,
    runnerPid: process.pid,
  };

  function writeStatus(now) {
    status.heartbeatAt = now.toISOString();
    status.runSeconds = priorRunSeconds + (now.getTime() - started.getTime()) / 1000;
    status.ledgerFlushedUntil = ledgerFlushedUntil.toISOString();
    runtime.writeJsonAtomic(statusFile, status);
  }

  function flushLedger(now) {
    runtime.appendLedger(
      stateDir,
      runtime.billedInterval({
        resource: name,
        kind: 'training',
        tags: request.tags,
        start: ledgerFlushedUntil,
        end: now,
        instanceType: request.instanceType,
        instanceCount: request.instanceCount,
        pricePerHourUsd: request.pricePerHourUsd,
        extra: { attempt, spot: request.spot },
      }),
    );
    ledgerFlushedUntil = now;
  }

  writeStatus(started);
  log.info({ command: request.command, cwd: request.workingDirectory }, 'attempt started');

  const timers = [];
  function finish(finalStatus, secondaryStatus, failureReason) {
    for (const timer of timers) clearTimeout(timer);
    const end = new Date();
    flushLedger(end);
    Object.assign(status, { status: finalStatus, secondaryStatus, failureReason, endTime: end.toISOString() });
    writeStatus(end);
    log.info({ status: finalStatus, secondaryStatus, failureReason }, 'attempt finished');
    process.exit(0);
  }

  if (fs.existsSync(stopFile)) {
    status.stopRequested = true;
    finish('Stopped', 'Stopped');
    return;
  }
  const remainingSeconds = request.maxRuntimeSeconds - priorRunSeconds;
  if (remainingSeconds <= 0) {
    finish('Stopped', 'MaxRuntimeExceeded', `the job reached its maxRuntimeSeconds of ${request.maxRuntimeSeconds} s`);
    return;
  }

  let env;
  try {
    env = trainingEnvironment(jobDir, name, request, marker);
  } catch (error) {
    if (error instanceof JobSetupError) {
      finish('Failed', 'Failed', error.message);
      return;
    }
    throw error;
  }

  // Synchronous writes keep training.log complete up to the moment the runner is killed.
  const output = fs.openSync(path.join(jobDir, 'training.log'), 'a');
  let outputClosed = false;
  fs.writeSync(output, `[mlops-local] attempt ${attempt} of training job ${name} started at ${started.toISOString()}\n`);
  const tail = runtime.createLineTail(TAIL_LINES);
  const parseMetrics = createMetricParser(request.metricDefinitions, metrics);
  const onLine = (line) => {
    if (!outputClosed) fs.writeSync(output, `${line}\n`);
    tail.push(line);
    parseMetrics(line);
  };

  const child = spawn(request.command[0], request.command.slice(1), {
    cwd: request.workingDirectory,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stopping;
  let interrupted = false;
  let exited = false;

  child.on('error', (error) => {
    if (child.pid === undefined) {
      finish('Failed', 'Failed', `could not start the training command ${JSON.stringify(request.command[0])}: ${error.message}; check the command and the working directory ${request.workingDirectory}`);
    } else {
      log.error({ err: error }, 'training command error');
    }
  });
  if (child.pid === undefined) return;

  status.commandPid = child.pid;
  status.secondaryStatus = 'Training';
  writeStatus(new Date());

  const streamsClosed = Promise.all(
    [child.stdout, child.stderr].map((stream) => {
      runtime.forEachLine(stream, onLine);
      return new Promise((resolve) => stream.on('close', resolve));
    }),
  );

  async function stop(reason) {
    if (stopping || exited) return;
    stopping = reason;
    status.status = 'Stopping';
    status.secondaryStatus = reason === 'request' ? 'Stopping' : 'MaxRuntimeExceeded';
    status.stopRequested = reason === 'request';
    writeStatus(new Date());
    log.info({ reason, graceSeconds: settings.stopGraceSeconds }, 'stopping the training command');
    await runtime.terminateResource(child.pid, marker, settings.stopGraceSeconds * 1000);
  }

  async function interrupt(signal) {
    if (fs.existsSync(stopFile)) {
      await stop('request');
      return;
    }
    if (interrupted || exited) return;
    interrupted = true;
    log.warn({ signal }, 'runner interrupted; the provider restarts the job on its next describe');
    await runtime.terminateResource(child.pid, marker, settings.stopGraceSeconds * 1000);
  }

  function checkStop() {
    if (!stopping && fs.existsSync(stopFile)) stop('request').catch((error) => log.error({ err: error }, 'stop failed'));
  }

  const sample = runtime.createTreeSampler(child.pid, Date.now());
  const recordSample = () => {
    const reading = sample();
    if (!reading) return;
    usage.memoryMiBMax = Math.max(usage.memoryMiBMax, reading.memoryMiB);
    if (reading.cpuPercent !== undefined) {
      usage.samples += 1;
      usage.cpuSum += reading.cpuPercent;
      usage.cpuMax = Math.max(usage.cpuMax, reading.cpuPercent);
    }
  };
  if (sample) {
    // An early first sample gives short jobs a reading too; a job that ends within it has no resource usage.
    timers.push(setTimeout(recordSample, FIRST_SAMPLE_MS));
    timers.push(setInterval(recordSample, settings.sampleIntervalMs));
  }
  timers.push(setInterval(() => writeStatus(new Date()), settings.heartbeatSeconds * 1000));
  timers.push(
    setInterval(() => {
      flushLedger(new Date());
      writeStatus(new Date());
    }, settings.ledgerIntervalSeconds * 1000),
  );
  // Polled rather than one setTimeout, which fires at once for delays over 2^31 - 1 ms (about 24.8 days).
  const deadline = started.getTime() + remainingSeconds * 1000;
  timers.push(
    setInterval(() => {
      checkStop();
      if (!stopping && !exited && Date.now() >= deadline) {
        log.warn({ maxRuntimeSeconds: request.maxRuntimeSeconds }, 'maximum run time reached');
        stop('maxRuntime').catch((error) => log.error({ err: error }, 'stop failed'));
      }
    }, STOP_POLL_MS),
  );

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(signal, () => {
      interrupt(signal).catch((error) => log.error({ err: error }, 'interrupt failed'));
    });
  }

  child.on('exit', async (code, signal) => {
    exited = true;
    // Helpers the command left behind die with it, as they would with its container.
    runtime.signalResource(child.pid, marker, 'SIGKILL');
    await Promise.race([streamsClosed, runtime.sleep(2000)]);
    outputClosed = true;
    fs.closeSync(output);
    log.info({ code, signal }, 'training command exited');

    if (interrupted && !stopping) {
      for (const timer of timers) clearTimeout(timer);
      const now = new Date();
      flushLedger(now);
      status.secondaryStatus = 'Interrupted';
      writeStatus(now);
      process.exit(0);
    }
    if (stopping === 'request') {
      finish('Stopped', 'Stopped');
    } else if (stopping === 'maxRuntime') {
      finish('Stopped', 'MaxRuntimeExceeded', `the job ran longer than its maxRuntimeSeconds of ${request.maxRuntimeSeconds} s and was stopped`);
    } else if (code === 0) {
      finish('Completed', 'Completed');
    } else {
      const cause = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
      const prefix = `the training command ${cause}; last output:\n`;
      finish('Failed', 'Failed', prefix + tail.text(FAILURE_REASON_MAX_CHARS - prefix.length));
    }
  });
}

function main() {
  const [stateDir, name, attemptText] = process.argv.slice(2);
  const attempt = Number(attemptText);
  if (!stateDir || !name || !Number.isInteger(attempt) || attempt < 1) {
    process.stderr.write('usage: node job-runner.js STATE_DIR JOB_NAME ATTEMPT (started by the local provider)\n');
    process.exit(2);
  }
  try {
    runAttempt(stateDir, name, attempt);
  } catch (error) {
    process.stderr.write(`job runner failed: ${error.stack}\n`);
    process.exit(1);
  }
}

main();
