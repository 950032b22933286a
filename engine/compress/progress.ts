// A one-line progress display for long analyses: rewritten in place on an interactive stderr,
// silent anywhere else (pipes, CI logs, browsers) so output stays clean.
import { stderrIsTTY } from '../platform.js';

export interface Progress {
  update(done: number, total: number, what: string): void;
  done(): void;
}

const SILENT: Progress = { update() {}, done() {} };

export function progress(label: string, enabled: boolean = stderrIsTTY()): Progress {
  if (!enabled) return SILENT;
  const started = Date.now();
  let shown = false;
  return {
    update(done, total, what) {
      const width = 20;
      const filled = Math.round((width * done) / Math.max(1, total));
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      process.stderr.write(`\r\x1b[2K${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${what} (${secs} s)`);
      shown = true;
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[2K');
    },
  };
}
