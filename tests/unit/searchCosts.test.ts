import { extraScan } from '../../models/queries/search';

/**
 * On MySQL, after the newest messages, a search reads on one by one only while that is cheaper than the full-text
 * index for a word that frequent (models/queries/search.ts, MYSQL_COSTS).
 */
describe('how far a MySQL search reads on before it asks the index', () => {
  const million = 1_000_000;

  it('reads on for a middling word among a million messages: enough rows for the rest of the page, with margin', () => {
    // 6 matches in the newest 2,000 (0.3 %): 15 more need about 5,000 rows; the index would go through 3,000 matches.
    expect(extraScan(6, 2000, 21, million)).toBe(7500);
  });

  it('asks the index at once for a rare word, when nothing was found, or when the page is full', () => {
    expect(extraScan(1, 2000, 21, million)).toBe(0);
    expect(extraScan(0, 2000, 21, million)).toBe(0);
    expect(extraScan(21, 2000, 21, million)).toBe(0);
    // A small database: its index is cheap whatever the word.
    expect(extraScan(6, 2000, 21, 10_000)).toBe(0);
  });

  it('never reads more than 20,000 more', () => {
    expect(extraScan(2, 2000, 51, 50 * million)).toBe(20_000);
  });
});
