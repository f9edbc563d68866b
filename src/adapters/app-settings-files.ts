/**
 * Reads the app's own settings files from disk, default/ then local/, as splunkd layers them. I/O only: parsing and
 * checks live in config/app-settings.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS_CONF, type ConfSource } from '../config/app-settings.js';

/** The settings files that exist under `appDir`, lowest precedence first. */
export function readAppSettingsSources(appDir: string): ConfSource[] {
  const sources: ConfSource[] = [];
  for (const layer of ['default', 'local']) {
    const file = `${layer}/${SETTINGS_CONF}.conf`;
    try {
      sources.push({ file, text: readFileSync(join(appDir, layer, `${SETTINGS_CONF}.conf`), 'utf8') });
    } catch {
      // A missing file is normal (local/ usually is); defaults apply.
    }
  }
  return sources;
}
