/** The add-on version, stamped by build.mjs from package.json through esbuild `define`. */
declare const __ADDON_VERSION__: string | undefined;

export const VERSION: string = typeof __ADDON_VERSION__ === 'string' ? __ADDON_VERSION__ : '0.0.0-dev';

/**
 * Partner-style User-Agent that Microsoft asks ISVs to send (MdatpPartner-{Company}-{Product}/{Version},
 * https://learn.microsoft.com/defender-endpoint/api/exposed-apis-create-app-partners), so Microsoft support can find
 * our calls in their logs.
 */
export const USER_AGENT = `MdatpPartner-Splunk-TAMicrosoftDefender/${VERSION}`;

/** App id and folder name: the app's folder under $SPLUNK_HOME/etc/apps and its storage/passwords realm. */
export const APP_ID = 'TA-microsoft-defender';
