/** The seeded PRNG the fuzz campaign uses too (src/util/prng.ts). */
export { prng } from '../../src/util/prng.js';
