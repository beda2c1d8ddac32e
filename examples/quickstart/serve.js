#!/usr/bin/env node
'use strict';
/**
 * Inference container of the quickstart, following SageMaker's hosting
 * contract: the model is in SM_MODEL_DIR, the server listens on the port in
 * SAGEMAKER_BIND_TO_PORT (or PORT, else 8080) and serves GET /ping and
 * POST /invocations.
 *
 * Request:  {"instances":[{"Cylinders":8,"Displacement":307,"Horsepower":130,"Weight_in_lbs":3504,"Acceleration":12}]}
 * Response: {"predictions":[17.9]}  (miles per gallon, one per instance)
 */
const http = require('node:http');
const { loadModel, parseInvocationBody } = require('./cars');

/** SageMaker's real-time payload limit is 6 MB; larger bodies are rejected before parsing. */
const MAX_BODY_BYTES = 6 * 1024 * 1024;

function sendJson(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error(`request body of ${size} bytes is larger than ${MAX_BODY_BYTES} bytes; send fewer instances per request`), { status: 413 }));
      } else {
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
    request.on('error', reject);
  });
}

async function handleInvocation(model, request, response) {
  let instances;
  try {
    instances = parseInvocationBody(await readBody(request));
  } catch (error) {
    sendJson(response, error.status || 400, { error: error.message });
    return;
  }
  const predictions = model.predict(instances).map((value) => Number(value.toFixed(3)));
  sendJson(response, 200, { predictions });
}

function main() {
  const modelDir = process.env.SM_MODEL_DIR;
  if (!modelDir) {
    throw new Error('environment variable SM_MODEL_DIR is not set; run this script as an endpoint container (the provider sets it)');
  }
  const port = Number(process.env.SAGEMAKER_BIND_TO_PORT || process.env.PORT || 8080);
  const model = loadModel(modelDir);

  const server = http.createServer((request, response) => {
    const route = `${request.method} ${request.url}`;
    if (route === 'GET /ping') {
      sendJson(response, 200, { status: 'healthy' });
    } else if (route === 'POST /invocations') {
      handleInvocation(model, request, response).catch((error) => {
        process.stderr.write(`invocation failed: ${error.stack}\n`);
        if (!response.headersSent) sendJson(response, 500, { error: `prediction failed: ${error.message}` });
      });
    } else {
      sendJson(response, 404, { error: `no route ${route}; use GET /ping or POST /invocations` });
    }
  });
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`serving ${modelDir} on 127.0.0.1:${port}\n`);
  });
  process.on('SIGTERM', () => {
    process.stdout.write('received SIGTERM; closing the server\n');
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

main();
