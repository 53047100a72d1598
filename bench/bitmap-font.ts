/**
 * A 5×7 bitmap font for chart labels, so charts need no font files or native canvas. Each glyph
 * is seven rows of five bits written as two hex digits per row (0x10 is the leftmost pixel).
 * Text is drawn upper-case; characters without a glyph are drawn as `?`.
 */

/** Glyph width and height in pixels, and the advance from one character to the next. */
export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
export const GLYPH_ADVANCE = 6;

const GLYPHS: Record<string, string> = {
  '0': '0e11131519110e', '1': '040c040404040e', '2': '0e11010204081f', '3': '1f02040201110e',
  '4': '02060a121f0202', '5': '1f101e0101110e', '6': '0608101e11110e', '7': '1f010204080808',
  '8': '0e11110e11110e', '9': '0e11110f01020c',
  A: '0e1111111f1111', B: '1e11111e11111e', C: '0e11101010110e', D: '1c12111111121c',
  E: '1f10101e10101f', F: '1f10101e101010', G: '0e11101711110f',
  H: '1111111f111111', I: '0e04040404040e', J: '0702020202120c',
  K: '11121418141211', L: '1010101010101f', M: '111b1515111111', N: '11111915131111',
  O: '0e11111111110e', P: '1e11111e101010', Q: '0e11111115120d', R: '1e11111e141211',
  S: '0f10100e01011e', T: '1f040404040404', U: '1111111111110e', V: '11111111110a04',
  W: '1111111515150a', X: '11110a040a1111', Y: '1111110a040404', Z: '1f01020408101f',
  ' ': '00000000000000', '.': '00000000000c0c', ',': '000000000c0408',
  '-': '0000001f000000', '+': '0004041f040400', '=': '00001f001f0000', '/': '00010204081000',
  '(': '02040808080402', ')': '08040202020408', ':': '000c0c000c0c00', '%': '18190204081303',
  '_': '0000000000001f', '?': '0e110102040004', '×': '00110a040a1100',
};

/** Rows of a glyph as bit masks (bit 4 = leftmost column). */
export function glyphRows(char: string): number[] {
  const code = GLYPHS[char.toUpperCase()] ?? GLYPHS['?'];
  const rows: number[] = [];
  for (let i = 0; i < GLYPH_HEIGHT; i++) rows.push(parseInt(code.slice(i * 2, i * 2 + 2), 16));
  return rows;
}

/** Whether the font has a glyph for `char` (after upper-casing). */
export function hasGlyph(char: string): boolean {
  return char.toUpperCase() in GLYPHS;
}

/** Width in pixels of `text` drawn at `scale`. */
export function textWidth(text: string, scale = 1): number {
  if (text.length === 0) return 0;
  return (text.length * GLYPH_ADVANCE - 1) * scale;
}

/** Sets one pixel; the caller decides clipping and colour. */
export type PlotFn = (x: number, y: number) => void;

/**
 * Draws `text` with its top-left corner at (x, y). With `isVertical` the text runs bottom to top
 * (rotated 90° counter-clockwise) starting at (x, y) as its bottom-left corner, for y-axis titles.
 */
export function drawText(
  plot: PlotFn,
  x: number,
  y: number,
  text: string,
  scale = 1,
  isVertical = false,
): void {
  [...text].forEach((char, index) => {
    const rows = glyphRows(char);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if ((rows[gy] & (0x10 >> gx)) === 0) continue;
        const along = (index * GLYPH_ADVANCE + gx) * scale;
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            if (isVertical) plot(x + gy * scale + sy, y - along - sx);
            else plot(x + along + sx, y + gy * scale + sy);
          }
        }
      }
    }
  });
}
