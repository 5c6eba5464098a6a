/**
 * What Wharf's own processes ask of the machine they run on, with Node's built-ins only (the
 * launcher loads this once per instance start): `/proc` (one parser of `/proc/<pid>/stat`,
^ * liveness, process groups), free loopback ports and handing folders to another uid. Production code and the tests share it.
 */
export * from './proc';
export * from './ports';
export * from './files';
