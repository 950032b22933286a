// Registers every CPU kernel. Import for its side effects.
import './shape-ops.js';
import './recurrent.js';
