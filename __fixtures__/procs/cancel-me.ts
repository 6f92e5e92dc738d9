// A stand-in for the action under cancellation: installs the signal handler, starts a real
// process tree (a shell with a background sleep) through the process port, and prints the
// pids so the test can check they are gone after SIGTERM.
import { execProcess, killChildrenOnSignal } from '../../src/runner/process.js'

killChildrenOnSignal((m) => process.stdout.write(`${m}\n`))
await execProcess.run('sh', ['-c', 'sleep 300 & echo "grandchild $!"; echo "child $$"; wait'], {
  onStdout: (chunk) => process.stdout.write(chunk),
})
process.stdout.write('run ended\n')
