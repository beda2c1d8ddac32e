/**
 * Reads the Chart.js UMD bundle that the HTML report inlines, so the page
 * draws its charts offline. The only I/O the HTML renderer needs.
 */
import fs from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/**
 * Returns the text of chart.js/dist/chart.umd.min.js. The package's
 * exports map hides that subpath, so it is found next to the main entry.
 * Throws when the bundle is missing or could close the inline script.
 */
export function loadChartLibrary(): string {
  if (cached !== undefined) return cached;
  const file = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the Chart.js bundle ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; run \`npm ci\` in the repository`, {
      cause: err,
    });
  }
  if (/<\/script|<!--|<script/i.test(text)) {
    throw new Error(`the Chart.js bundle ${file} contains '</script', '<!--' or '<script', so it cannot be inlined in a <script> element`);
  }
  cached = text;
  return text;
}
