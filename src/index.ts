import { run } from './main.js'
import { killChildrenOnSignal } from './ports/process.js'

// A cancelled step (SIGINT/SIGTERM) leaves no docker or buildx process behind.
killChildrenOnSignal((m) => console.log(m))
await run()
