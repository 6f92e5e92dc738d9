import { startEarly } from './early.js'
import { runnerLog } from './runner/log.js'
import { endChildren, killChildrenOnSignal } from './runner/process.js'

// A cancelled step (SIGINT/SIGTERM) leaves no docker or buildx process behind.
killChildrenOnSignal((m) => runnerLog.info(m))
// The builder's inspection starts first; the rest of the action loads meanwhile (its own chunk).
const early = startEarly(process.env)
const { run } = await import('./main.js')
await run(process.env, undefined, early)
// What the run started and no longer waits for ends with it (registry requests end in run()).
endChildren()
