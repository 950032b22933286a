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
  readonly details?: Record<string, unknown>;

  constructor(code: EdgeRunErrorCode, message: string, details?: Record<string, unknown>) {
    super(`${code}: ${message}`);
    this.name = 'EdgeRunError';
    this.code = code;
    this.details = details;
  }
}

export function isEdgeRunError(e: unknown): e is EdgeRunError {
  return e instanceof EdgeRunError;
}
