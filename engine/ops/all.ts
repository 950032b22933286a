// Registers every operator definition. Import for its side effects.
import './shape-ops.js';
