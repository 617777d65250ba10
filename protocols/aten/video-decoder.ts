import { AtenError } from '../errors.js';
import type { Framebuffer, Rect } from '../rfb/framebuffer.js';
import { Ast2100Decoder, type Ast2100DecoderOptions, type Ast2100FrameResult } from './ast2100/decoder.js';
import { AtenEncoding } from './constants.js';
import { decodeHermon, type HermonResult } from './hermon.js';
import type { AtenVideoRect } from './server-messages.js';

export type AtenVideoResult =
  | { encoding: 'hermon'; resized: boolean; changed: Rect[]; hermon: HermonResult }
  | { encoding: 'ast2100'; resized: boolean; changed: Rect[]; ast2100: Ast2100FrameResult };

/**
 * Draws ATEN video rectangles into a framebuffer: Hermon (0x59, or 0x00 from old firmware) and
 * AST2100 (0x57). One instance per connection (the AST2100 decoder keeps state across frames).
 *
 * ATEN has no DesktopSize: the rectangle header carries the screen size, so when it differs from
 * the framebuffer's, the framebuffer is resized first (`resized` is then true and `changed` is the
 * whole screen; the caller should send a non-incremental FramebufferUpdateRequest, as kelleyk and
 * ATENtion do). The rectangle data has already been consumed from the stream by the reader, so an
 * AtenError here leaves the stream aligned; the caller decides whether to drop the frame or the link.
 */
export class AtenVideoDecoder {
  readonly #ast: Ast2100Decoder;

  constructor(options: { ast2100?: Ast2100DecoderOptions } = {}) {
    this.#ast = new Ast2100Decoder(options.ast2100);
  }

  /** The AST2100 decoder's counts for its last frame, also after an error (the replay tool prints them). */
  get lastAst2100Result(): Ast2100FrameResult | undefined {
    return this.#ast.lastResult;
  }

  decodeRect(rect: AtenVideoRect, fb: Framebuffer): AtenVideoResult {
    // x and y are 0 on every board seen; the size is the screen's, so they are not used.
    const resized = fb.width !== rect.width || fb.height !== rect.height;
    if (resized) fb.resize(rect.width, rect.height);
    const whole = [{ x: 0, y: 0, width: fb.width, height: fb.height }];
    switch (rect.encoding) {
      case AtenEncoding.Ast2100: {
        const ast2100 = this.#ast.decodeFrame(rect.data, fb);
        return { encoding: 'ast2100', resized, changed: resized ? whole : ast2100.changed, ast2100 };
      }
      case AtenEncoding.Hermon:
      case AtenEncoding.HermonLegacy: {
        const hermon = decodeHermon(rect.data, fb);
        return { encoding: 'hermon', resized, changed: resized ? whole : hermon.changed, hermon };
      }
      default:
        throw new AtenError(
          'ATEN_ERR_ENCODING',
          `video encoding 0x${(rect.encoding >>> 0).toString(16)} is not Hermon (0x59/0x00) or AST2100 (0x57)`,
          'FramebufferUpdate.encoding',
        );
    }
  }
}
