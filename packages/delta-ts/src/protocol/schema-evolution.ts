/**
 * Transitional: schema enforcement moved to `arrow/schema-evolution.ts` (it casts Arrow buffers, which
 * protocol/ does not touch). This re-export keeps `core/update.ts` building until the DML branch imports
 * from arrow/; delete it then. Nothing else imports it.
 */
export { enforceSchema } from '../arrow/schema-evolution.js'
