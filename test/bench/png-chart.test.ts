import { PNG } from 'pngjs';
import { GLYPH_ADVANCE, drawText, glyphRows, hasGlyph, textWidth } from '../../bench/bitmap-font';
import { niceTicks, renderLineChart, type ChartSpec } from '../../bench/png-chart';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const spec: ChartSpec = {
  title: 'LATENCY VS PARALLEL STEPS',
  xLabel: 'PARALLEL STEPS',
  yLabel: 'MS PER RUN',
  isLogX: true,
  width: 320,
  height: 200,
  series: [
    { label: 'DDO MEDIAN', points: [{ x: 1, y: 50 }, { x: 4, y: 130 }, { x: 16, y: 450 }] },
    { label: 'LANGGRAPH MEDIAN', points: [{ x: 1, y: 4 }, { x: 4, y: 6 }, { x: 16, y: 8 }] },
  ],
};

describe('renderLineChart', () => {
  it('writes a PNG with the signature, an IHDR chunk and the requested size', () => {
    const bytes = renderLineChart(spec);

    expect(bytes.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(bytes.toString('ascii', 12, 16)).toBe('IHDR');
    expect(bytes.readUInt32BE(16)).toBe(320);
    expect(bytes.readUInt32BE(20)).toBe(200);
  });

  it('decodes back to an image that is neither blank nor all ink', () => {
    const image = PNG.sync.read(renderLineChart(spec));
    let ink = 0;
    for (let i = 0; i < image.data.length; i += 4) if (image.data[i] < 250 || image.data[i + 2] < 250) ink++;

    const share = ink / (image.width * image.height);
    expect(share).toBeGreaterThan(0.01);
    expect(share).toBeLessThan(0.5);
  });

  it('skips points without a finite value instead of failing', () => {
    const points = [{ x: 1, y: 1 }, { x: 2, y: Number.NaN }];
    const gappy: ChartSpec = { ...spec, series: [{ label: 'A', points }] };

    expect(() => renderLineChart(gappy)).not.toThrow();
  });
});

describe('niceTicks', () => {
  test.each<[number, number[]]>([
    [7, [0, 2, 4, 6, 8]],
    [450, [0, 100, 200, 300, 400, 500]],
    [1, [0, 0.2, 0.4, 0.6, 0.8, 1]],
  ])('covers 0..%p with round steps', (max, expected) => {
    expect(niceTicks(0, max)).toEqual(expected);
  });
});

describe('bitmap font', () => {
  it('has a glyph for every digit, letter and the chart punctuation', () => {
    const needed = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ .,-+=/():%_?';

    expect([...needed].filter((c) => !hasGlyph(c))).toEqual([]);
  });

  it('draws lower case as upper case and unknown characters as ?', () => {
    expect(glyphRows('a')).toEqual(glyphRows('A'));
    expect(glyphRows('~')).toEqual(glyphRows('?'));
  });

  it('plots pixels only inside the text box', () => {
    const pixels: [number, number][] = [];

    drawText((x, y) => pixels.push([x, y]), 10, 20, 'HI', 2);

    expect(pixels.length).toBeGreaterThan(0);
    expect(Math.min(...pixels.map((p) => p[0]))).toBeGreaterThanOrEqual(10);
    expect(Math.max(...pixels.map((p) => p[0]))).toBeLessThan(10 + textWidth('HI', 2));
    expect(Math.max(...pixels.map((p) => p[1]))).toBeLessThan(20 + 7 * 2);
    expect(textWidth('HI')).toBe(2 * GLYPH_ADVANCE - 1);
  });
});
