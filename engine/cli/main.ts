// `edgerun` command line. Each command is a module of its own; this file only dispatches.
import { EdgeRunError } from '../errors.js';
import { enableRelaxedSimdInNode } from '../platform.js';

interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, Command> = {
  run: {
    summary: 'run a model on tensors from .pb/.npy/.json files and print or write the outputs',
    run: async (args) => (await import('./run.js')).run(args),
  },
  info: {
    summary: 'print a model: nodes, output shapes, parameters, bytes and MACs',
    run: async (args) => (await import('./info.js')).info(args),
  },
  quantize: {
    summary: 'quantize a model (int8 with calibration, dynamic, float16) and print sizes, ranges and accuracy',
    run: async (args) => (await import('./quantize.js')).quantizeCommand(args),
  },
  optimize: {
    summary: 'prune → cluster → quantize in one go (Deep Compression) and print size, accuracy and latency before and after',
    run: async (args) => (await import('./optimize.js')).optimizeCommand(args),
  },
  decompress: {
    summary: 'write a compressed model (codebook weights, sparse initializers) as standard dense ONNX',
    run: async (args) => (await import('./decompress.js')).decompressCommand(args),
  },
  demo: {
    summary: 'detected features, each kernel once on both WASM builds, the bundled digits models end to end',
    run: async (args) => (await import('./demo.js')).demo(args),
  },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['usage: edgerun <command> [options]', '', 'commands:', ...lines, '', 'edgerun <command> --help shows the options of one command.'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`edgerun: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  // The CLI is an application, not a library: it may switch V8's relaxed SIMD on (Node 20).
  await enableRelaxedSimdInNode();
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof EdgeRunError) {
      console.error(`edgerun ${name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
