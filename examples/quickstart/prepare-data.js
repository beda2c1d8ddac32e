#!/usr/bin/env node
'use strict';
/**
 * Regenerates the quickstart data from the cars data set of the vega-datasets
 * package: the training channel (model years up to 1976), the retraining
 * channel (all years), two files of inference requests, one from each
 * period, and the load test's payload file. The output is deterministic, so
 * rerunning it changes no file.
 *
 * Usage: node prepare-data.js [--out FOLDER]   (default: this script's folder)
 */
const fs = require('node:fs');
const path = require('node:path');
const { CSV_COLUMNS, FEATURES, formatCsv, isCompleteRow, shuffled } = require('./cars');

/** Last model year of the initial training data; later cars are the drifted traffic. */
const LAST_TRAINING_YEAR = 1976;
/** Seed of the request order, so a prefix of a request file is a fair sample of its period. */
const REQUEST_ORDER_SEED = 1976;
/** The load-test payloads: single-car requests, then batches of cars, so the measured latency covers both sizes. */
const LOAD_TEST_SINGLE_REQUESTS = 16;
const LOAD_TEST_BATCHES = 8;
const LOAD_TEST_BATCH_SIZE = 8;

function parseArguments(argv) {
  const options = { out: __dirname };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) {
      options.out = path.resolve(argv[++i]);
    } else {
      throw new Error(`unknown argument ${JSON.stringify(argv[i])}; usage: node prepare-data.js [--out FOLDER]`);
    }
  }
  return options;
}

/** Finds cars.json in the installed vega-datasets package, whose exports map hides the data folder. */
function carsDataPath() {
  const entry = require.resolve('vega-datasets');
  const file = path.join(path.dirname(entry), '..', 'data', 'cars.json');
  if (!fs.existsSync(file)) {
    throw new Error(`cars.json not found at ${file}; reinstall the vega-datasets package (npm ci)`);
  }
  return file;
}

function loadCars() {
  const records = JSON.parse(fs.readFileSync(carsDataPath(), 'utf8'));
  return records
    .map((record) => ({ ...record, Year: Number(String(record.Year).slice(0, 4)) }))
    .filter((row) => isCompleteRow(row));
}

function featuresOf(row) {
  return Object.fromEntries(FEATURES.map((feature) => [feature, row[feature]]));
}

function requestLines(rows) {
  return shuffled(rows, REQUEST_ORDER_SEED)
    .map((row) => JSON.stringify({ instances: [featuresOf(row)] }))
    .join('\n')
    .concat('\n');
}

function loadTestLines(rows) {
  const instances = shuffled(rows, REQUEST_ORDER_SEED).map(featuresOf);
  const bodies = instances.slice(0, LOAD_TEST_SINGLE_REQUESTS).map((instance) => ({ instances: [instance] }));
  for (let batch = 0; batch < LOAD_TEST_BATCHES; batch++) {
    const start = LOAD_TEST_SINGLE_REQUESTS + batch * LOAD_TEST_BATCH_SIZE;
    bodies.push({ instances: instances.slice(start, start + LOAD_TEST_BATCH_SIZE) });
  }
  return bodies.map((body) => JSON.stringify(body)).join('\n').concat('\n');
}

function writeFile(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function main() {
  const { out } = parseArguments(process.argv.slice(2));
  const cars = loadCars();
  const trainingPeriod = cars.filter((row) => row.Year <= LAST_TRAINING_YEAR);
  const laterPeriod = cars.filter((row) => row.Year > LAST_TRAINING_YEAR);

  writeFile(path.join(out, 'data', 'train', 'cars.csv'), formatCsv(trainingPeriod, CSV_COLUMNS));
  writeFile(path.join(out, 'data', 'recent', 'cars.csv'), formatCsv(cars, CSV_COLUMNS));
  writeFile(path.join(out, 'requests', 'training-period.jsonl'), requestLines(trainingPeriod));
  writeFile(path.join(out, 'requests', 'later-period.jsonl'), requestLines(laterPeriod));
  writeFile(path.join(out, 'requests', 'load-test.jsonl'), loadTestLines(trainingPeriod));

  process.stdout.write(
    `wrote ${trainingPeriod.length} training rows (years up to ${LAST_TRAINING_YEAR}), ${cars.length} recent rows, ` +
      `${trainingPeriod.length} training-period and ${laterPeriod.length} later-period requests and the load-test payloads to ${out}\n`,
  );
}

main();
