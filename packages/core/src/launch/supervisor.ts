// The supervisor process `jailwright start` detaches: node dist/launch/supervisor.js <launch directory>.
// It closes what it inherited first, before anything can be handed on to the service.
import { closeInheritedDescriptors } from './inherited-descriptors.js';
import { launchFilesIn } from './launch-files.js';
import { supervise } from './supervise.js';

const closed = closeInheritedDescriptors();
const directory = process.argv[2];
if (!directory) {
  process.stderr.write('usage: supervisor.js <launch directory>\n');
  process.exit(2);
}
if (closed.length > 0) process.stdout.write(`supervisor ${process.pid}: closed inherited descriptors ${closed.join(', ')}\n`);
process.exitCode = await supervise(launchFilesIn(directory));
