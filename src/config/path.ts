import { resolve } from 'node:path';

export const DEFAULT_CONFIG_PATH = '/etc/siaga/siaga.yaml';

/** `-c <file>`, else `$SIAGA_CONFIG`, else /etc/siaga/siaga.yaml (README, Configuration). */
export function configPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env.SIAGA_CONFIG ?? DEFAULT_CONFIG_PATH);
}
