import { CATALOGUES, type MessageId } from '../i18n/index.js';
import { t } from './io.js';

/**
 * The simulator's scenarios (shared with tests and benchmarks) tell their story in English; the
 * catalogue holds each line under `story.` with its translation. A line not found there (a new
 * scenario) is shown as written rather than not at all.
 */
const BY_TEXT = new Map(
  (Object.entries(CATALOGUES.en) as [MessageId, string][])
    .filter(([key]) => key.startsWith('story.'))
    .map(([key, text]) => [text, key]),
);

export function storyLine(english: string): string {
  const key = BY_TEXT.get(english);
  return key ? t(key) : english;
}
