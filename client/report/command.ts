/** The `mlops report` command, registered on the CLI program by cli.ts. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { invalidInput } from '../errors';
import type { ProjectClient } from '../projects';
import { buildReport } from './model';
import { checkDestination, defaultDestination, isReportFormat, renderReport, REPORT_FORMATS, type ReportFormat, STDOUT, writeDestination } from './output';

/** Project ids as the spec schema accepts them; the id also names the default HTML file, so it may not contain a path. */
const PROJECT_ID = /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/;

function parseFormat(value: string): ReportFormat {
  if (!isReportFormat(value)) {
    throw new InvalidArgumentError(`'${value}' is not a report format; expected one of ${REPORT_FORMATS.join(', ')}`);
  }
  return value;
}

/** Adds `mlops report <id>` to `program`; `projects` connects to Temporal only after the input was checked. */
export function registerReportCommand(program: Command, projects: () => Promise<ProjectClient>): void {
  program
    .command('report')
    .description('write the cost report of a project: estimate, training jobs, spend against budget, month-end forecast and charts')
    .argument('<id>', 'project id')
    .addOption(new Option('--format <format>', `report format: ${REPORT_FORMATS.join(', ')}`).argParser(parseFormat).default('html'))
    .option('--out <file>', `file to write, or ${STDOUT} for stdout (default: <id>-report.html in the current folder for html, stdout for md and json)`)
    .action(async (id: string, options: { format: ReportFormat; out?: string }) => {
      if (!PROJECT_ID.test(id)) {
        throw invalidInput(`invalid project id '${id}': expected 3 to 40 lowercase letters, digits or hyphens`);
      }
      const destination = options.out ?? defaultDestination(id, options.format);
      checkDestination(destination);

      const status = await (await projects()).getStatus(id);
      writeDestination(destination, renderReport(buildReport(status), options.format));
      if (destination !== STDOUT) process.stdout.write(`wrote the ${options.format} report of ${id} to ${destination}\n`);
    });
}
