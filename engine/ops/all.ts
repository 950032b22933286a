// Registers every operator definition. Import for its side effects.
import './shape-ops.js';
import './elementwise.js';
import './conv-ops.js';
import './matmul-ops.js';
import './norm-ops.js';
import './rnn-ops.js';
import './tensor-ops.js';
import './slice-pad-ops.js';
import './cast-ops.js';
import './reduce-ops.js';
import './quant-ops.js';
import './quant-fused-ops.js';
import './codebook-ops.js';
