// Registers every CPU kernel. Import for its side effects.
import './shape-ops.js';
import './recurrent.js';
import './tensor-ops.js';
import './slice-pad-ops.js';
import './cast-ops.js';
import './reduce-ops.js';
import './matmul.js';
import './elementwise.js';
import './norm.js';
import './conv.js';
import './pool.js';
import './conv-transpose.js';
import './quant-ops.js';
import './quant-conv.js';
import './quant-matmul.js';
import './quant-fused.js';
import './codebook-decode.js';
