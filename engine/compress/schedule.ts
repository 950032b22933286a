// Pruning schedules, as tfmot defines them (sparsity/keras/pruning_schedule.py), for gradual
// pruning during fine-tuning: at training step t, whether to update the masks and to which
// sparsity. edgerun prunes one-shot after training today; these are here so a training loop (or
// an iterative prune → re-fit loop) can drive prune() the way tfmot's callbacks do.
import { EdgeRunError } from '../errors.js';
import { checkSparsity } from './prune-magnitude.js';

export interface PruningSchedule {
  /** Whether masks are updated at `step` and the sparsity they are updated to. */
  at(step: number): { prune: boolean; sparsity: number };
}

interface Window {
  beginStep: number;
  /** −1: until the end of training. */
  endStep: number;
  frequency: number;
}

function checkWindow(w: Window, what: string, endRequired: boolean): void {
  if (!Number.isInteger(w.beginStep) || w.beginStep < 0) throw new EdgeRunError('InvalidArgument', `${what}: beginStep ${w.beginStep} must be an integer ≥ 0`);
  if (!Number.isInteger(w.endStep) || (w.endStep !== -1 && w.endStep < w.beginStep) || (endRequired && w.endStep <= w.beginStep)) {
    throw new EdgeRunError('InvalidArgument', `${what}: endStep ${w.endStep} must be ${endRequired ? '> beginStep' : '−1 or ≥ beginStep'} (${w.beginStep})`);
  }
  if (!Number.isInteger(w.frequency) || w.frequency < 1) throw new EdgeRunError('InvalidArgument', `${what}: frequency ${w.frequency} must be an integer ≥ 1`);
}

/** tfmot's rule: prune at begin, then every `frequency` steps, until end (inclusive; end −1 = forever). */
function inWindow(w: Window, step: number): boolean {
  if (!Number.isInteger(step) || step < 0) throw new EdgeRunError('InvalidArgument', `schedule: step ${step} must be an integer ≥ 0`);
  const afterEnd = w.endStep !== -1 && step > w.endStep;
  return step >= w.beginStep && !afterEnd && (step - w.beginStep) % w.frequency === 0;
}

/** The same target sparsity at every update. */
export class ConstantSparsity implements PruningSchedule {
  readonly window: Window;

  constructor(
    readonly targetSparsity: number,
    beginStep = 0,
    endStep = -1,
    frequency = 100,
  ) {
    checkSparsity(targetSparsity, 'ConstantSparsity');
    this.window = { beginStep, endStep, frequency };
    checkWindow(this.window, 'ConstantSparsity', false);
  }

  at(step: number): { prune: boolean; sparsity: number } {
    return { prune: inWindow(this.window, step), sparsity: this.targetSparsity };
  }
}

/**
 * Zhu & Gupta's gradual schedule: s(t) = s_f + (s_i − s_f)·(1 − p)^power with
 * p = clamp((t − begin)/(end − begin), 0, 1) — fast at first, flattening towards s_f.
 */
export class PolynomialDecay implements PruningSchedule {
  readonly window: Window;

  constructor(
    readonly initialSparsity: number,
    readonly finalSparsity: number,
    beginStep: number,
    endStep: number,
    readonly power = 3,
    frequency = 100,
  ) {
    checkSparsity(initialSparsity, 'PolynomialDecay initialSparsity');
    checkSparsity(finalSparsity, 'PolynomialDecay finalSparsity');
    if (typeof power !== 'number' || !(power > 0) || !Number.isFinite(power)) throw new EdgeRunError('InvalidArgument', `PolynomialDecay: power ${power} must be a positive number`);
    this.window = { beginStep, endStep, frequency };
    checkWindow(this.window, 'PolynomialDecay', true);
  }

  sparsityAt(step: number): number {
    const { beginStep, endStep } = this.window;
    const p = Math.min(1, Math.max(0, (step - beginStep) / (endStep - beginStep)));
    return this.finalSparsity + (this.initialSparsity - this.finalSparsity) * (1 - p) ** this.power;
  }

  at(step: number): { prune: boolean; sparsity: number } {
    return { prune: inWindow(this.window, step), sparsity: this.sparsityAt(step) };
  }
}
