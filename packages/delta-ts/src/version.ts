/** The delta-ts release, written into commitInfo.engineInfo as `delta-ts/<version>`. */
export const DELTA_TS_VERSION = '0.1.0'
