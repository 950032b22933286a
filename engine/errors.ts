// The one error type edgerun throws on bad input. `code` is stable and machine-readable;
// the message names the model, node and tensor (or the kernel argument) involved.

export type EdgeRunErrorCode =
  | 'InvalidArgument'   // a value out of range or of the wrong kind
  | 'ShapeMismatch'     // dims that do not fit together
  | 'DTypeMismatch'     // a tensor of the wrong element type
  | 'OutOfMemory'       // a size that would exhaust (or exceed) addressable memory
  | 'InvalidModel'      // a malformed or truncated file, a cycle, a dangling input
  | 'UnsupportedOperator'
  | 'UnsupportedFeature'
  | 'InvalidFeed'       // session.run() feeds with a wrong name, dtype or shape
  | 'Cancelled'
  | 'Internal';

export class EdgeRunError extends Error {
  readonly code: EdgeRunErrorCode;
  /** Where it happened: model, node, tensor (named `where`, not `details`: test runners treat `details` as a diff string). */
  readonly where?: Record<string, unknown>;

  constructor(code: EdgeRunErrorCode, message: string, where?: Record<string, unknown>) {
    super(`${code}: ${message}`);
    this.name = 'EdgeRunError';
    this.code = code;
    this.where = where;
  }
}

export function isEdgeRunError(e: unknown): e is EdgeRunError {
  return e instanceof EdgeRunError;
}
