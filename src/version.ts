/** The add-on version, stamped by build.mjs from package.json through esbuild `define`. */
declare const __ADDON_VERSION__: string | undefined;

export const VERSION: string = typeof __ADDON_VERSION__ === 'string' ? __ADDON_VERSION__ : '0.0.0-dev';

/**
 * Partner-style User-Agent that Microsoft asks ISVs to send (MdatpPartner-{Company}-{Product}/{Version},
 * defender-api.md §5.9), so Microsoft support can find our calls in their logs.
 */
export const USER_AGENT = `MdatpPartner-Splunk-TAMicrosoftDefender/${VERSION}`;

/** App id and folder name (contract §1). */
export const APP_ID = 'TA-microsoft-defender';
