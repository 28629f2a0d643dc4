import { describe, expect, it } from 'vitest';
import { parseGeneration, pseudoVideoText, toPseudoVideo } from './pseudo-video.ts';

describe('pseudo-video parsing', () => {
  it('reads a plain JSON object with all five fields', () => {
    const reply = '{"caption":"Quick  tomato pasta","tags":["#pasta","dinner"],"coverText":"15 min","keywords":["pasta"],"relatedQueries":["easy pasta"]}';
    expect(parseGeneration(reply)).toEqual({
      videos: [{ caption: 'Quick tomato pasta', tags: ['pasta', 'dinner'], coverText: '15 min', keywords: ['pasta'], relatedQueries: ['easy pasta'] }],
      rejected: [],
    });
  });

  it('finds the JSON inside code fences or prose, and accepts other spellings of the field names', () => {
    const reply = 'Here you go:\n```json\n{"Caption": "bike chain fix", "cover_text": "FIX IT", "related_queries": "chain slips, bike noise", "hashtags": "diy;bike"}\n```\nEnjoy!';
    expect(parseGeneration(reply).videos).toEqual([{ caption: 'bike chain fix', tags: ['diy', 'bike'], coverText: 'FIX IT', keywords: [], relatedQueries: ['chain slips', 'bike noise'] }]);
  });

  it('validates each object of a list on its own', () => {
    const parsed = parseGeneration('[{"caption":"one"},{"tags":["no caption"]},{"caption":"two","tags":[{"x":1}]},"text"]');
    expect(parsed.videos.map((v) => v.caption)).toEqual(['one']);
    expect(parsed.rejected).toEqual(['caption is missing or empty', 'tags must be a list of strings', 'expected a JSON object']);
  });

  it('rejects replies without usable JSON', () => {
    expect(parseGeneration('I cannot do that.').rejected).toEqual(['no JSON object in the reply']);
    expect(parseGeneration('{"caption": "cut off').rejected).toEqual(['unterminated JSON in the reply']);
    expect(parseGeneration('{"caption": oops}').rejected[0]).toMatch(/^invalid JSON in the reply/);
    expect(parseGeneration('[]').rejected).toEqual(['empty list']);
    expect(() => toPseudoVideo({ caption: 'x'.repeat(2001) })).toThrow(/longer than 2000/);
    expect(() => toPseudoVideo({ caption: 5 })).toThrow(/caption must be a string/);
  });

  it('caps list lengths and joins the chosen fields into one text', () => {
    const v = toPseudoVideo({ caption: 'c', keywords: Array.from({ length: 50 }, (_, i) => `k${i}`) });
    expect(v.keywords).toHaveLength(30);
    expect(pseudoVideoText({ caption: 'a b', tags: ['t1', 't2'], coverText: '', keywords: ['k'], relatedQueries: ['r q'] })).toBe('a b t1 t2 k r q');
    expect(pseudoVideoText({ caption: 'a', tags: ['t'], coverText: 'c', keywords: [], relatedQueries: [] }, ['coverText', 'caption'])).toBe('c a');
  });
});
