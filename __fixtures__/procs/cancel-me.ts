// A stand-in for the action under cancellation: installs the signal handler, starts a real
// process tree (a shell with a background sleep) through the process port, and prints the
// pids so the test can check they are gone after SIGTERM. With CANCEL_MARKER set, the call
// has a clean-up command that writes that file (what a cancelled step must still undo).
import { writeFileSync } from 'node:fs'
import { execProcess, killChildrenOnSignal } from '../../src/runner/process.js'

killChildrenOnSignal((m) => process.stdout.write(`${m}\n`))
await execProcess.run('sh', ['-c', 'sleep 300 & echo "grandchild $!"; echo "child $$"; wait'], {
  onStdout: (chunk) => process.stdout.write(chunk),
  ...(process.env.CANCEL_MARKER ? { onCancel: { program: 'sh', args: ['-c', 'echo cleaned > "$CANCEL_MARKER"'] } } : {}),
})
// (a call that ended is not cleaned up: this run never gets here under SIGTERM)
if (process.env.CANCEL_MARKER) writeFileSync(`${process.env.CANCEL_MARKER}.ended`, '')
process.stdout.write('run ended\n')
