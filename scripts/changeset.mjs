#!/usr/bin/env node
// `pnpm changeset ...`: runs the @changesets/cli command line. Its own bin (3.0.3) calls
// `module.enableCompileCache()`, which Node 20 (this project's minimum) does not have, before importing the
// CLI; the CLI itself runs on Node 20 (`changeset add`, `version` and `publish` are what this repository uses).
// So this wrapper imports the CLI directly, passing the arguments through. The release workflow publishes with
// Node 22, within the engines @changesets/cli declares.
await import('@changesets/cli')
