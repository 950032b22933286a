// The public entry point of the edgerun package.
import './engine/ops/all.js';
import './engine/backends/cpu/ops/all.js';

export { EdgeRunError, isEdgeRunError } from './engine/errors.js';
export type { EdgeRunErrorCode } from './engine/errors.js';
export { Tensor, floatToHalf, halfToFloat } from './engine/tensor.js';
export type { DType, TensorData, TypedData, QuantParams } from './engine/tensor.js';
export { InferenceSession } from './engine/session.js';
export type { SessionOptions, BackendName } from './engine/session.js';

// Graphs: import/export, the IR, building in code, passes.
export { loadModel, importModel } from './engine/onnx/import.js';
export { saveModel } from './engine/onnx/export.js';
export type { SaveOptions } from './engine/onnx/export.js';
export { Graph, Node, Value, formatShape } from './engine/graph/ir.js';
export type { Dim, Attribute } from './engine/graph/ir.js';
export { GraphBuilder } from './engine/graph/builder.js';
export { validateGraph } from './engine/graph/validate.js';
export { inferGraph } from './engine/graph/infer.js';
export { summarize, formatSummary } from './engine/graph/summary.js';
export { optimizeGraph } from './engine/passes/optimize.js';
export type { OptimizeOptions } from './engine/passes/optimize.js';
export { foldConstants } from './engine/passes/constant-folding.js';
export { foldBatchNorm } from './engine/passes/fold-batchnorm.js';
export { fuseActivations } from './engine/passes/fuse-activations.js';
export { removeDeadNodes } from './engine/passes/dead-nodes.js';
export { planMemory, formatMemoryPlan } from './engine/passes/memory-plan.js';
export { decodeTensor, encodeTensor } from './engine/tensor-io.js';

// Kernels and runtimes (for tools that drive kernels directly).
export { createRuntime, createRuntimeSync, detect, availableBuilds, getDefaultRuntime, setDefaultRuntime } from './kernels/runtime.js';
export type { Runtime, BuildKind, BuildRequest, Detection } from './kernels/runtime.js';
export { Arena } from './kernels/arena.js';
export type { Activation } from './kernels/activation.js';
export { packGemmF32, gemmF32, gemmF32Ptr } from './kernels/gemm.js';
export { packConv2dF32, conv2dF32, conv2dF32Ptr, conv2dOutputDims } from './kernels/conv.js';
export { packDepthwiseF32, depthwiseConv2dF32, depthwiseConv2dF32Ptr } from './kernels/dwconv.js';
export { maxPoolF32, averagePoolF32, globalAveragePoolF32, globalMaxPoolF32 } from './kernels/pool.js';
export { binaryF32, planBinaryF32, runBinaryF32 } from './kernels/eltwise.js';
export { unaryF32, unaryF32Ptr } from './kernels/unary.js';
export { softmaxF32, softmaxF32Ptr } from './kernels/softmax.js';
export { packLstmF32, lstmF32, lstmF32Ptr } from './kernels/lstm.js';
export { packGruF32, gruF32, gruF32Ptr } from './kernels/gru.js';
export { packRnnF32, rnnF32, rnnF32Ptr } from './kernels/rnn.js';
export { enableRelaxedSimdInNode } from './engine/platform.js';

// Compression tools: pruning (magnitude, block, N:M, structured), sensitivity, schedules, clustering.
export { prune, pruneWithReport } from './engine/compress/prune.js';
export { compressionReport } from './engine/compress/report.js';
export { pruneFilters } from './engine/compress/prune-structured.js';
export { sensitivity, pickSparsities } from './engine/compress/sensitivity.js';
export { ConstantSparsity, PolynomialDecay } from './engine/compress/schedule.js';
export { cluster, clusterWithReport } from './engine/compress/cluster.js';
export { packIndices, unpackIndices, decodeCodebook } from './engine/compress/codebook.js';
export { accuracy, evaluateClassifier, weightBytes } from './engine/compress/evaluate.js';

// Compression: post-training quantization (int8 QDQ with calibration, dynamic, float16).
export { quantize, quantizeWithReport } from './engine/compress/quantize.js';
export type { QuantizeOptions, QuantizeReport, QuantizeResult, QuantizeMode } from './engine/compress/quantize.js';
export { calibrate } from './engine/compress/calibrate.js';
export type { CalibrationData, CalibrationMethod, CalibrateOptions, TensorRange } from './engine/compress/calibrate.js';
export { quantizeFeed, dequantizeOutput } from './engine/compress/io.js';
export { initializerBytes } from './engine/compress/size.js';
export { fuseQdq } from './engine/passes/fuse-qdq.js';

// Compression pipeline and compact storage: optimize (prune → cluster → quantize), sparse and
// codebook weights in files, decompress to standard ONNX, the CPU backend's sparse/codebook kernels.
export { optimize, optimizeWithReport } from './engine/compress/pipeline.js';
export type { PipelineOptions, PipelineReport, PipelineStep } from './engine/compress/pipeline.js';
export { compressionSizes } from './engine/compress/pipeline-sizes.js';
export type { CompressionSizes } from './engine/compress/pipeline-sizes.js';
export { decompress } from './engine/compress/decompress.js';
export { saveModelWithReport } from './engine/onnx/export.js';
export { compactGraph } from './engine/onnx/sparse-export.js';
export type { CompactOptions, StoredWeight, StorageForm } from './engine/onnx/sparse-export.js';
export { kernelChoices, formatKernelChoices, setSparseKernelPolicy } from './engine/backends/cpu/ops/sparse-choice.js';
export type { KernelChoiceRecord, SparseKernelPolicy } from './engine/backends/cpu/ops/sparse-choice.js';
