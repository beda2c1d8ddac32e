#!/usr/bin/env node
'use strict';
/**
 * Training container of the quickstart: a random forest regression that
 * predicts Miles_per_Gallon from the numeric features in cars.js. It follows
 * SageMaker's training contract: data from SM_CHANNEL_TRAIN, hyperparameters
 * from SM_HPS, the model and baseline.json into SM_MODEL_DIR, metrics as
 * `name=value` lines on stdout.
 *
 * With a `champion` channel (the folder of the serving model) it also scores
 * that model on the same validation rows and prints `champion:rmse=...`.
 *
 * Hyperparameters: nEstimators (default 50), seed (42), maxDepth (8),
 * validationFraction (0.2), sleepSeconds (0; makes the job run longer, so a
 * cost cap or a stop request has something to stop).
 */
const fs = require('node:fs');
const path = require('node:path');
const { RandomForestRegression } = require('ml-random-forest');
const { BASELINE_FILE, FEATURES, LABEL, MODEL_FILE, loadModel, modelDocument, readChannelRows, shuffled, toVector } = require('./cars');

const BASELINE_BINS = 10;

const HYPERPARAMETERS = {
  nEstimators: { default: 50, min: 1, max: 1000, integer: true },
  seed: { default: 42, min: 0, max: 2 ** 31 - 1, integer: true },
  maxDepth: { default: 8, min: 1, max: 64, integer: true },
  validationFraction: { default: 0.2, min: 0.05, max: 0.5, integer: false },
  sleepSeconds: { default: 0, min: 0, max: 86400, integer: false },
};

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is not set; run this script as a training job (the provider sets it)`);
  }
  return value;
}

/** Reads SM_HPS; values may arrive as JSON numbers or as strings, like SageMaker's hyperparameters. */
function readHyperparameters() {
  const given = JSON.parse(process.env.SM_HPS || '{}');
  const unknown = Object.keys(given).filter((name) => !(name in HYPERPARAMETERS));
  if (unknown.length > 0) {
    throw new Error(`unknown hyperparameter ${unknown.join(', ')}; expected some of ${Object.keys(HYPERPARAMETERS).join(', ')}`);
  }
  const values = {};
  for (const [name, rule] of Object.entries(HYPERPARAMETERS)) {
    const value = given[name] === undefined ? rule.default : Number(given[name]);
    const valid = Number.isFinite(value) && value >= rule.min && value <= rule.max && (!rule.integer || Number.isInteger(value));
    if (!valid) {
      throw new Error(`hyperparameter ${name}=${JSON.stringify(given[name])} is invalid; expected ${rule.integer ? 'an integer' : 'a number'} from ${rule.min} to ${rule.max}`);
    }
    values[name] = value;
  }
  return values;
}

function regressionMetrics(actual, predicted) {
  const n = actual.length;
  const mean = actual.reduce((sum, value) => sum + value, 0) / n;
  let squared = 0;
  let absolute = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const error = actual[i] - predicted[i];
    squared += error * error;
    absolute += Math.abs(error);
    total += (actual[i] - mean) ** 2;
  }
  return { rmse: Math.sqrt(squared / n), mae: absolute / n, r2: 1 - squared / total };
}

/**
 * Cut points between distinct values at the deciles of `values`. A decile
 * that falls inside a run of equal values moves to the nearer end of the
 * run, so discrete features (Cylinders) get fewer, non-empty bins. Each cut
 * is the midpoint between two neighbouring distinct values; bin i contains the
 * values v with edges[i-1] <= v < edges[i].
 */
function quantileEdges(values, bins) {
  const sorted = values.slice().sort((a, b) => a - b);
  const n = sorted.length;
  const boundaries = new Set();
  for (let q = 1; q < bins; q++) {
    const j = Math.min(n - 1, Math.max(1, Math.round((q * n) / bins)));
    if (sorted[j - 1] < sorted[j]) {
      boundaries.add(j);
      continue;
    }
    let low = j;
    while (low > 0 && sorted[low - 1] === sorted[j]) low--;
    let high = j;
    while (high < n && sorted[high] === sorted[j]) high++;
    const candidates = [low, high].filter((b) => b > 0 && b < n);
    if (candidates.length > 0) {
      boundaries.add(candidates.reduce((best, b) => (Math.abs(b - j) < Math.abs(best - j) ? b : best)));
    }
  }
  return [...boundaries].sort((a, b) => a - b).map((b) => (sorted[b - 1] + sorted[b]) / 2);
}

function binIndex(edges, value) {
  let index = 0;
  while (index < edges.length && value >= edges[index]) index++;
  return index;
}

/** Builds baseline.json: per feature, the quantile edges and the share of rows in each bin. */
function buildBaseline(rows) {
  const features = {};
  for (const feature of FEATURES) {
    const values = rows.map((row) => row[feature]);
    const edges = quantileEdges(values, BASELINE_BINS);
    const counts = new Array(edges.length + 1).fill(0);
    for (const value of values) counts[binIndex(edges, value)]++;
    features[feature] = { edges, expected: counts.map((count) => count / values.length) };
  }
  return { rows: rows.length, features };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitSeconds(seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    await sleep(Math.min(1000, deadline - Date.now()));
    process.stdout.write(`progress: waited ${Math.round(seconds - (deadline - Date.now()) / 1000)}/${seconds} s\n`);
  }
}

function formatMetric(value) {
  return Number(value.toFixed(4));
}

async function main() {
  process.on('SIGTERM', () => {
    process.stdout.write('received SIGTERM; stopping without writing a model\n');
    process.exit(143);
  });

  const trainDir = requireEnv('SM_CHANNEL_TRAIN');
  const modelDir = requireEnv('SM_MODEL_DIR');
  const championDir = process.env.SM_CHANNEL_CHAMPION;
  const hps = readHyperparameters();

  const rows = readChannelRows(trainDir);
  const order = shuffled(rows, hps.seed);
  const validationCount = Math.max(1, Math.round(rows.length * hps.validationFraction));
  const validation = order.slice(0, validationCount);
  const training = order.slice(validationCount);
  process.stdout.write(`train:rows=${training.length}\nvalidation:rows=${validation.length}\n`);

  if (hps.sleepSeconds > 0) {
    await waitSeconds(hps.sleepSeconds);
  }

  const forest = new RandomForestRegression({
    nEstimators: hps.nEstimators,
    seed: hps.seed,
    maxFeatures: 0.8,
    replacement: false,
    useSampleBagging: true,
    noOOB: true,
    treeOptions: { maxDepth: hps.maxDepth, minNumSamples: 3 },
  });
  forest.train(training.map(toVector), training.map((row) => row[LABEL]));

  const actual = validation.map((row) => row[LABEL]);
  const metrics = regressionMetrics(actual, forest.predict(validation.map(toVector)));
  process.stdout.write(
    `validation:rmse=${formatMetric(metrics.rmse)}\nvalidation:mae=${formatMetric(metrics.mae)}\nvalidation:r2=${formatMetric(metrics.r2)}\n`,
  );

  if (championDir) {
    const champion = loadModel(championDir);
    const championMetrics = regressionMetrics(actual, champion.predict(validation));
    process.stdout.write(`champion:rmse=${formatMetric(championMetrics.rmse)}\nchampion:mae=${formatMetric(championMetrics.mae)}\n`);
  }

  fs.mkdirSync(modelDir, { recursive: true });
  const document = modelDocument(forest, {
    hyperparameters: hps,
    trainingRows: training.length,
    validation: { rows: validation.length, rmse: metrics.rmse, mae: metrics.mae, r2: metrics.r2 },
  });
  fs.writeFileSync(path.join(modelDir, MODEL_FILE), JSON.stringify(document));
  fs.writeFileSync(path.join(modelDir, BASELINE_FILE), `${JSON.stringify(buildBaseline(rows), null, 2)}\n`);
  process.stdout.write(`wrote ${MODEL_FILE} and ${BASELINE_FILE} to ${modelDir}\n`);
}

main().catch((error) => {
  process.stderr.write(`training failed: ${error.message}\n`);
  process.exit(1);
});
