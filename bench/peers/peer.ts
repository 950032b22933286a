// What the harness times beside edgerun: one prepared iteration of a peer runtime.
export interface PeerRun {
  /** One iteration; may be async (onnxruntime-web's session.run is). */
  run: () => unknown;
  /** Whether run returns a promise that must be awaited for the timing to be fair. */
  async: boolean;
  /** The first output of one fresh iteration, for the correctness check (ORT only). */
  output?: () => Promise<Float32Array>;
  dispose?: () => unknown;
}
