'use strict';
/**
 * Helpers shared by the local provider (TypeScript, through runtime.d.ts)
 * and its detached processes job-runner.js and endpoint-host.js. It is plain
 * CommonJS so that the detached processes start with `node FILE` both from
 * the source tree (tests under ts-jest) and from dist/ once the build copies
 * the .js files next to the compiled provider.
 *
 * Process discovery reads /proc and so works on Linux only. Elsewhere the
 * helpers fall back to `kill(pid, 0)` for liveness and find no marked
 * processes, which leaves orphans of a killed runner alive.
 */
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync, spawn } = require('node:child_process');
const pino = require('pino');

/** Environment variable that marks every process the provider starts for one resource. */
const MARKER_ENV = 'MLOPS_LOCAL_RESOURCE';

/**
 * Variables passed from the provider's environment to training and
 * inference commands. Everything else (credentials, tokens, SMTP settings)
 * stays out of user code.
 */
const INHERITED_ENV = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TMP', 'TEMP',
  'NODE_PATH', 'PYTHONPATH', 'VIRTUAL_ENV', 'CONDA_PREFIX', 'SYSTEMROOT',
];

const hasProc = fs.existsSync('/proc/self/stat');

// ---------------------------------------------------------------- files

/** Writes JSON to a temporary file in the same folder and renames it over `file`, so readers never see a partial file. */
function writeJsonAtomic(file, value) {
  const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(temp, file);
}

/**
 * Creates `file` with JSON content only if it does not exist yet. The content
 * is complete before the name appears, because the temporary file is
 * hard-linked to the final name, which fails with EEXIST for a second writer.
 * Returns false when the file already existed.
 */
function writeJsonExclusive(file, value) {
  const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (error) {
    if (error.code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** Reads a JSON file; returns undefined when it does not exist. */
function readJson(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`state file ${file} is not valid JSON (${error.message}); delete it or restore it from a backup`, { cause: error });
  }
}

/**
 * Appends one JSON line in one append-mode write. On a local Linux file
 * system such short writes from concurrent processes land whole, one after
 * the other; POSIX does not promise this for regular files, and network
 * file systems may break it.
 */
function appendJsonLine(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `${JSON.stringify(value)}\n`);
}

/** Reads a JSON-lines file; skips lines that do not parse, such as one cut short by a crash. */
function readJsonLines(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
  const values = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    try {
      values.push(JSON.parse(line));
    } catch {
      // A partial last line is the expected trace of a writer killed mid-write.
    }
  }
  return values;
}

function ledgerFile(stateDir) {
  return path.join(stateDir, 'ledger', 'usage.jsonl');
}

/**
 * Appends one billed interval to the usage ledger. `seconds` counts
 * instance-seconds (wall-clock seconds times instance count) and `usd` is
 * their price; a zero-length interval is not written.
 */
function appendLedger(stateDir, entry) {
  if (!(entry.seconds > 0)) return;
  appendJsonLine(ledgerFile(stateDir), entry);
}

/** Returns the ledger entry for wall-clock interval [start, end) of `instanceCount` instances at `pricePerHourUsd`. */
function billedInterval({ resource, kind, tags, start, end, instanceType, instanceCount, pricePerHourUsd, extra }) {
  const seconds = (Math.max(0, end.getTime() - start.getTime()) / 1000) * instanceCount;
  return {
    resource,
    kind,
    tags,
    start: start.toISOString(),
    end: end.toISOString(),
    seconds,
    usd: (pricePerHourUsd / 3600) * seconds,
    instanceType,
    instanceCount,
    ...extra,
  };
}

// ---------------------------------------------------------------- locks

/**
 * Claims number `n` of a numbered lock (such as attempt-3.lock) by creating
 * the file exclusively. Exactly one caller wins each number, which is how two
 * concurrent callers never start two runners for one resource.
 */
function claimLock(dir, prefix, n) {
  try {
    fs.writeFileSync(path.join(dir, `${prefix}-${n}.lock`), '', { flag: 'wx' });
    return true;
  } catch (error) {
    if (error.code === 'EEXIST') return false;
    throw error;
  }
}

/** Records what the winner of a lock did with it: the process it started, or that it finished the resource. */
function recordLock(dir, prefix, n, content) {
  fs.writeFileSync(path.join(dir, `${prefix}-${n}.lock`), JSON.stringify(content));
}

/** Returns the highest claimed lock number with its recorded content and age, or undefined when none is claimed. */
function latestLock(dir, prefix) {
  let names;
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }

  const pattern = new RegExp(`^${prefix}-(\\d+)\\.lock$`);
  let n = 0;
  for (const name of names) {
    const match = pattern.exec(name);
    if (match) n = Math.max(n, Number(match[1]));
  }
  if (n === 0) return undefined;

  // An empty or half-written file is a claim whose winner has not recorded its process yet.
  const file = path.join(dir, `${prefix}-${n}.lock`);
  let text = '';
  let ageMs = 0;
  try {
    text = fs.readFileSync(file, 'utf8');
    ageMs = Date.now() - fs.statSync(file).mtimeMs;
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }

  let content;
  try {
    content = text ? JSON.parse(text) : {};
  } catch {
    content = {};
  }
  return { n, content, ageMs };
}

// ---------------------------------------------------------------- processes

function readCmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg.length > 0);
  } catch {
    return undefined;
  }
}

/**
 * Tells whether `pid` is still the process that was started as
 * `node <script> ...args`. Comparing the command line guards against a
 * recycled pid, and a zombie (empty command line) counts as stopped.
 */
function isOwnProcess(pid, scriptName, args) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (!hasProc) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return error.code === 'EPERM';
    }
  }
  const cmdline = readCmdline(pid);
  if (!cmdline || cmdline.length < 2 + args.length) return false;
  if (path.basename(cmdline[1]) !== scriptName) return false;
  return args.every((arg, i) => cmdline[2 + i] === String(arg));
}

/**
 * Lists the pids of processes whose environment has MLOPS_LOCAL_RESOURCE set
 * to `marker`, or starting with it when `prefix` is true. Environments of
 * other users' processes are unreadable and skipped.
 */
function findMarkedProcesses(marker, prefix) {
  if (!hasProc) return [];
  const wanted = `${MARKER_ENV}=${marker}`;
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ;
    try {
      environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue;
    }
    const found = environ.split('\0').some((variable) => (prefix ? variable.startsWith(wanted) : variable === wanted));
    if (found) pids.push(pid);
  }
  return pids;
}

function sendSignal(pid, signal) {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if (error.code === 'ESRCH') return false;
    throw error;
  }
}

/** Sends `signal` to process group `pgid` and to every marked process, including ones that left the group. */
function signalResource(pgid, marker, signal) {
  if (pgid) sendSignal(-pgid, signal);
  for (const pid of findMarkedProcesses(marker, false)) sendSignal(pid, signal);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function groupAlive(pgid) {
  if (!pgid) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * Stops the processes of one resource like a container runtime does:
 * SIGTERM to the group, up to `graceMs` for them to exit, then SIGKILL.
 * Resolves once no process of the group or marker is left, or after SIGKILL.
 */
async function terminateResource(pgid, marker, graceMs) {
  signalResource(pgid, marker, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid) && findMarkedProcesses(marker, false).length === 0) return;
    await sleep(50);
  }
  signalResource(pgid, marker, 'SIGKILL');
}

/**
 * Sends SIGKILL to every process whose marker starts with `markerPrefix` and
 * waits up to `boundMs` until none is left, so a restarted resource never
 * runs beside its predecessor. Returns the pids it killed.
 */
async function killMarkedProcesses(markerPrefix, boundMs) {
  const pids = findMarkedProcesses(markerPrefix, true);
  for (const pid of pids) sendSignal(pid, 'SIGKILL');
  const deadline = Date.now() + boundMs;
  while (findMarkedProcesses(markerPrefix, true).length > 0 && Date.now() < deadline) await sleep(20);
  return pids;
}

/** Returns the provider's environment reduced to INHERITED_ENV, merged with `extra`. */
function childEnvironment(extra) {
  const env = {};
  for (const name of INHERITED_ENV) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('LC_')) env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * Starts `node <script> ...args` in its own session, detached from the
 * caller, so it outlives the worker process, with MLOPS_LOCAL_RESOURCE set
 * to `marker`. Returns its pid.
 */
function spawnDetached(script, args, cwd, marker) {
  const child = spawn(process.execPath, [script, ...args.map(String)], {
    cwd,
    detached: true,
    stdio: 'ignore',
    env: childEnvironment({ [MARKER_ENV]: marker }),
  });
  child.unref();
  if (!child.pid) throw new Error(`could not start ${script}: node did not return a process id`);
  return child.pid;
}

// ---------------------------------------------------------------- resource sampling

let clockTicks;
let pageBytes;

function systemConstant(name, fallback) {
  try {
    // A bare environment keeps the marker variable off this short-lived helper process.
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8', env: { PATH: process.env.PATH } }).trim());
    return Number.isFinite(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

/** Reads pid, parent, group, CPU ticks and resident memory of every process from /proc/<pid>/stat. */
function readProcessTable() {
  const table = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text;
    try {
      text = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name is in parentheses and may contain spaces, so fields are counted after its closing parenthesis.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    table.push({
      pid: Number(entry),
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      ticks: Number(fields[11]) + Number(fields[12]),
      rssPages: Number(fields[21]),
    });
  }
  return table;
}

/**
 * Samples the CPU and memory use of the process tree under `rootPid` (its
 * descendants and its process group). CPU is in percent of one core over the
 * interval since the previous sample, or since `startedAtMs` (when the root
 * was started) for the first one, so a short job still gets a reading.
 * Returns undefined where /proc is missing.
 */
function createTreeSampler(rootPid, startedAtMs) {
  if (!hasProc) return undefined;
  clockTicks = clockTicks || systemConstant('CLK_TCK', 100);
  pageBytes = pageBytes || systemConstant('PAGESIZE', 4096);
  let previous = new Map();
  let previousAt = startedAtMs;
  return function sample() {
    const now = Date.now();
    const table = readProcessTable();
    const members = new Set([rootPid]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const proc of table) {
        if (!members.has(proc.pid) && (members.has(proc.ppid) || proc.pgrp === rootPid)) {
          members.add(proc.pid);
          grew = true;
        }
      }
    }
    let deltaTicks = 0;
    let rssPages = 0;
    const current = new Map();
    for (const proc of table) {
      if (!members.has(proc.pid)) continue;
      current.set(proc.pid, proc.ticks);
      // A process first seen in this sample started during the interval, so all of its ticks count.
      deltaTicks += Math.max(0, proc.ticks - (previous.get(proc.pid) ?? 0));
      rssPages += proc.rssPages;
    }
    const elapsedSeconds = (now - previousAt) / 1000;
    previous = current;
    previousAt = now;
    if (current.size === 0) return undefined;
    return {
      cpuPercent: elapsedSeconds <= 0 ? undefined : (deltaTicks / clockTicks / elapsedSeconds) * 100,
      memoryMiB: (rssPages * pageBytes) / (1024 * 1024),
    };
  };
}

// ---------------------------------------------------------------- logs

/** Creates a pino logger that writes JSON lines synchronously to `file`, so the last line survives a sudden exit. */
function createFileLogger(file, bindings) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return pino({ base: bindings, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: file, sync: true, append: true }));
}

/** Keeps the last lines of a stream of text, for failure reasons. */
function createLineTail(maxLines) {
  const lines = [];
  return {
    push(line) {
      lines.push(line);
      if (lines.length > maxLines) lines.shift();
    },
    /** Returns the kept lines joined, cut from the front to at most `maxChars` characters. */
    text(maxChars) {
      const joined = lines.join('\n');
      return joined.length > maxChars ? `...${joined.slice(joined.length - maxChars + 3)}` : joined;
    },
  };
}

/** Calls `onLine` for each complete line of a readable stream and for the unterminated rest at its end. */
function forEachLine(stream, onLine) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop();
    for (const part of parts) onLine(part.replace(/\r$/, ''));
  });
  stream.on('end', () => {
    if (rest.length > 0) onLine(rest);
  });
}

module.exports = {
  MARKER_ENV,
  writeJsonAtomic,
  writeJsonExclusive,
  readJson,
  appendJsonLine,
  readJsonLines,
  ledgerFile,
  appendLedger,
  billedInterval,
  claimLock,
  recordLock,
  latestLock,
  isOwnProcess,
  findMarkedProcesses,
  signalResource,
  terminateResource,
  killMarkedProcesses,
  sendSignal,
  childEnvironment,
  spawnDetached,
  createTreeSampler,
  createFileLogger,
  createLineTail,
  forEachLine,
  sleep,
};
