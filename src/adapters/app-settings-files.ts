/**
 * Reads the app's own settings files from disk (default/ then local/, as splunkd layers them) for the entry points.
 * The parsing and checks live in config/app-settings.ts; this file only does the I/O and the mapping.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAppSettings, SETTINGS_CONF, type AppSettings, type ConfSource } from '../config/app-settings.js';
import type { InputSettings } from '../inputs/alerts/alerts-input.js';

export interface LoadedSettings {
  logLevel: AppSettings['logLevel'];
  app: AppSettings;
  input: InputSettings;
  /** Problems found in the files (a bad key keeps its default); the caller logs them as WARN lines. */
  warnings: string[];
}

export function readAppSettingsFiles(appDir: string): LoadedSettings {
  const sources: ConfSource[] = [];
  for (const layer of ['default', 'local']) {
    const file = `${layer}/${SETTINGS_CONF}.conf`;
    try {
      sources.push({ file, text: readFileSync(join(appDir, layer, `${SETTINGS_CONF}.conf`), 'utf8') });
    } catch {
      // A missing file is normal (local/ usually is); defaults apply.
    }
  }
  const { settings, problems } = readAppSettings(sources);
  return {
    logLevel: settings.logLevel,
    app: settings,
    warnings: problems,
    input: {
      defaultProxyUrl: settings.proxyUrl,
      requestTimeoutMs: settings.requestTimeoutSeconds * 1000,
      validationTimeoutMs: 8_000,
      maxRetries: settings.maxRetries,
      pageSize: settings.pageSize === 0 ? undefined : settings.pageSize,
      limits: { maxPagesPerRun: settings.maxPagesPerRun },
    },
  };
}
