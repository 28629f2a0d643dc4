import { describe, expect, it } from 'vitest';
import { redact, redactAndCut, registerSecret, scrubSecrets } from './secrets.ts';

describe('secret redaction', () => {
  it('removes registered and MLflow credential values, then cuts, never leaving part of one', () => {
    registerSecret('sk-unit-0123456789abcdef');
    const text = `${'a'.repeat(95)}sk-unit-0123456789abcdef tail`;
    // cutting at 100 would keep "sk-un"; redacting first keeps none of it
    expect(redactAndCut(text, 100)).toBe(`${'a'.repeat(95)}*** t…`);
    expect(redact('token mlflow-secret-99 here', [], { MLFLOW_TRACKING_TOKEN: 'mlflow-secret-99' })).toBe('token *** here');
  });

  it('removes credentials in headers, JSON fields and URLs whatever their value', () => {
    expect(redact('Authorization: Bearer abcdefghijklmnop', [], {})).toBe('Authorization: Bearer ***');
    expect(redact('{"api_key": "zzzzzzzzzzzz"}', [], {})).toBe('{"api_key": "***"}');
    expect(redact('see https://ann:hunter22@mlflow.example/x', [], {})).toBe('see https://ann:***@mlflow.example/x');
  });

  it('scrubs only known values from data, leaving ordinary text as it is', () => {
    expect(scrubSecrets('a caption with token: 123456 and sk-unit-0123456789abcdef', [], {})).toBe('a caption with token: 123456 and ***');
    // too short to be a secret: never scrubbed
    registerSecret('abc');
    expect(scrubSecrets('abc', [], {})).toBe('abc');
  });
});
