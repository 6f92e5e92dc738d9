import { startEarly } from './early.js'
import { killChildrenOnSignal } from './ports/process.js'

// A cancelled step (SIGINT/SIGTERM) leaves no docker or buildx process behind.
killChildrenOnSignal((m) => console.log(m))
// The builder's inspection starts first; the rest of the action loads meanwhile (its own chunk).
const early = startEarly(process.env)
const { run } = await import('./main.js')
await run(process.env, undefined, early)
