import { existsSync } from 'node:fs';
import path from 'node:path';
import { driverSuite } from '../../test-support/driver-suite';
import { instancePids } from '../../test-support/harness';

// The shared driver suite on the process driver: traces are the instance's folder and processes.
driverSuite('process', async (h, id) => [...(existsSync(path.join(h.dataDir, 'instances', id)) ? ['folder'] : []), ...instancePids(id)]);
