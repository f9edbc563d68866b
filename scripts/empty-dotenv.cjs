// Replaces the `dotenv` package inside our bundles. splunk-sdk calls require("dotenv").config() on import, which
// would load a `.env` file from splunkd's (unknown) working directory into process.env. We never want that.
module.exports = { config: () => ({ parsed: {} }), parse: () => ({}) };
