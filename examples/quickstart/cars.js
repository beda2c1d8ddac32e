'use strict';
/**
 * Shared pieces of the quickstart's training and inference containers: the
 * feature list, CSV reading and writing, request validation and the model
 * file format. Plain CommonJS so that `node train.js` and `node serve.js`
 * run without a build step.
 */
const fs = require('node:fs');
const path = require('node:path');
const { RandomForestRegression } = require('ml-random-forest');

/** Numeric inputs of the model, in the column order of its feature vectors. */
const FEATURES = ['Cylinders', 'Displacement', 'Horsepower', 'Weight_in_lbs', 'Acceleration'];
const LABEL = 'Miles_per_Gallon';
/** Columns of the CSV files that prepare-data.js writes; Year is the model year as a number. */
const CSV_COLUMNS = ['Name', LABEL, ...FEATURES, 'Year', 'Origin'];
const MODEL_FILE = 'model.json';
const BASELINE_FILE = 'baseline.json';
const MODEL_FORMAT = 'quickstart-random-forest-v1';
/** Upper bound on instances per request, so one request cannot hold the server for long. */
const MAX_INSTANCES = 1000;

function csvField(value) {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Formats rows (objects keyed by column) as CSV with a header line and a final newline. */
function formatCsv(rows, columns) {
  const lines = [columns.join(',')];
  for (const row of rows) {
    lines.push(columns.map((column) => csvField(row[column])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Splits one CSV line into fields, honouring double-quoted fields with doubled quotes inside. */
function splitCsvLine(line) {
  const fields = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else {
      field += ch;
    }
  }
  fields.push(field);
  return fields;
}

/**
 * Parses CSV text with a header line into objects. Numeric-looking fields
 * become numbers and empty fields become null. Fields never contain line
 * breaks in this example's data, so the text is split by lines.
 */
function parseCsv(text, source) {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines.length === 0) {
    throw new Error(`${source} is empty; expected a header line with ${CSV_COLUMNS.join(',')}`);
  }
  const header = splitCsvLine(lines[0]);
  return lines.slice(1).map((line, index) => {
    const fields = splitCsvLine(line);
    if (fields.length !== header.length) {
      throw new Error(`${source} line ${index + 2} has ${fields.length} fields; expected ${header.length} like the header`);
    }
    const row = {};
    header.forEach((column, i) => {
      const raw = fields[i];
      const number = Number(raw);
      row[column] = raw === '' ? null : Number.isFinite(number) ? number : raw;
    });
    return row;
  });
}

/** Reads every .csv file of a channel folder, in file name order, and keeps the rows with a label and all features. */
function readChannelRows(channelDir) {
  if (!fs.existsSync(channelDir)) {
    throw new Error(`channel folder ${channelDir} does not exist; check the channel path in project.yaml`);
  }
  const files = fs
    .readdirSync(channelDir)
    .filter((name) => name.endsWith('.csv'))
    .sort();
  if (files.length === 0) {
    throw new Error(`channel folder ${channelDir} contains no .csv file; run node prepare-data.js`);
  }
  const rows = [];
  for (const file of files) {
    const fullPath = path.join(channelDir, file);
    rows.push(...parseCsv(fs.readFileSync(fullPath, 'utf8'), fullPath));
  }
  return rows.filter((row) => isCompleteRow(row));
}

function isCompleteRow(row) {
  return [LABEL, ...FEATURES].every((column) => typeof row[column] === 'number' && Number.isFinite(row[column]));
}

function toVector(instance) {
  return FEATURES.map((feature) => instance[feature]);
}

/**
 * Checks an invocation body and returns its instances, or throws an Error
 * whose message names the bad field and the expected shape.
 */
function parseInvocationBody(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new Error(`request body is not valid JSON (${error.message}); send {"instances":[{${FEATURES.map((f) => `"${f}":...`).join(',')}}]}`, {
      cause: error,
    });
  }
  if (body === null || typeof body !== 'object' || !Array.isArray(body.instances)) {
    throw new Error('request body has no "instances" array; send {"instances":[{...}]} with one object per car');
  }
  if (body.instances.length === 0) {
    throw new Error('"instances" is empty; send at least one car');
  }
  if (body.instances.length > MAX_INSTANCES) {
    throw new Error(`"instances" has ${body.instances.length} items; send at most ${MAX_INSTANCES} per request`);
  }
  body.instances.forEach((instance, index) => {
    if (instance === null || typeof instance !== 'object' || Array.isArray(instance)) {
      throw new Error(`instances[${index}] is ${JSON.stringify(instance)}; expected an object with ${FEATURES.join(', ')}`);
    }
    for (const feature of FEATURES) {
      const value = instance[feature];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new Error(`instances[${index}].${feature} is ${value === undefined ? 'missing' : JSON.stringify(value)}; expected a finite number`);
      }
    }
  });
  return body.instances;
}

/** Returns a deterministic pseudo-random generator of numbers in [0, 1) (the mulberry32 algorithm). */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns a copy of `items` in an order fixed by `seed` (Fisher-Yates shuffle). */
function shuffled(items, seed) {
  const random = seededRandom(seed);
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** Serialises a trained forest with what the inference container needs to use it. */
function modelDocument(forest, extra) {
  return { format: MODEL_FORMAT, features: FEATURES, label: LABEL, ...extra, forest: forest.toJSON() };
}

/** Loads model.json from a model folder (SM_MODEL_DIR or a champion channel). */
function loadModel(modelDir) {
  const file = path.join(modelDir, MODEL_FILE);
  if (!fs.existsSync(file)) {
    throw new Error(`no ${MODEL_FILE} in ${modelDir}; expected the folder a quickstart training job wrote`);
  }
  const document = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (document.format !== MODEL_FORMAT) {
    throw new Error(`${file} has format ${JSON.stringify(document.format)}; expected ${MODEL_FORMAT}`);
  }
  const forest = RandomForestRegression.load(document.forest);
  return {
    document,
    predict: (instances) => forest.predict(instances.map(toVector)),
  };
}

module.exports = {
  FEATURES,
  LABEL,
  CSV_COLUMNS,
  MODEL_FILE,
  BASELINE_FILE,
  formatCsv,
  parseCsv,
  readChannelRows,
  isCompleteRow,
  toVector,
  shuffled,
  parseInvocationBody,
  modelDocument,
  loadModel,
};
