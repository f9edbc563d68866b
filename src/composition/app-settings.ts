/** The app-wide settings every entry point starts from: read from the app folder, parsed once. */
import { readAppSettingsSources } from '../adapters/app-settings-files.js';
import { readAppSettings, type AppSettings } from '../config/app-settings.js';

export interface LoadedAppSettings {
  settings: AppSettings;
  /** Problems found in the files (a bad key keeps its default); the entry point logs them as WARN lines. */
  warnings: string[];
}

/** Reads `<appDir>/default` and `<appDir>/local` settings. */
export function loadAppSettings(appDir: string): LoadedAppSettings {
  const { settings, problems } = readAppSettings(readAppSettingsSources(appDir));
  return { settings, warnings: problems };
}
