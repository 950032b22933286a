// Progress and cancellation for the long-running compression steps (calibration runs the model
// on every sample). Callers get onProgress events; a terminal gets a one-line bar on stderr
// (only when stderr is a TTY, so logs and pipes stay clean); an AbortSignal stops the work at the
// next step with EdgeRunError('Cancelled').
import { EdgeRunError } from '../errors.js';
import { stderrIsTTY, writeStderr } from '../platform.js';

export interface ProgressEvent {
  /** What is being done: 'calibrate: min/max', 'calibrate: histograms', 'calibrate: ranges'. */
  phase: string;
  done: number;
  total: number;
}

export interface ProgressOptions {
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Draw a bar on stderr. Default: when stderr is a TTY. */
  progressBar?: boolean;
}

export class Progress {
  private readonly bar: boolean;
  private drawn = false;

  constructor(private readonly opts: ProgressOptions) {
    this.bar = opts.progressBar ?? stderrIsTTY();
  }

  /** Throws EdgeRunError('Cancelled') once the signal has fired. */
  checkCancelled(): void {
    if (this.opts.signal?.aborted) {
      this.finish();
      throw new EdgeRunError('Cancelled', 'quantization was cancelled');
    }
  }

  report(phase: string, done: number, total: number): void {
    this.opts.onProgress?.({ phase, done, total });
    if (!this.bar) return;
    const width = 30;
    const filled = total > 0 ? Math.round((width * done) / total) : width;
    writeStderr(`\r${phase.padEnd(24)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    this.drawn = true;
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.drawn) writeStderr('\n');
    this.drawn = false;
  }

  /** Lets the event loop run (so an abort can arrive), then checks the signal. */
  async yield(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.checkCancelled();
  }
}
