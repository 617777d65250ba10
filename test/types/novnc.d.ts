// noVNC ships plain ES modules without type declarations; tests import them to cross-check our
// codecs against noVNC's own, through narrow local interfaces.
declare module '@novnc/novnc';
declare module '*/@novnc/novnc/core/decoders/*.js';
