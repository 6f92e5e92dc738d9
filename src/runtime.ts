// Process-wide runtime settings, evaluated before anything else is loaded.
//
// The registry client uses Node's global fetch, whose HTTP parser (undici's llhttp) is
// WebAssembly. V8 compiles it with its optimizing tier in the background, and the process
// waits for that compilation before it can exit: 80–100 ms on every run, more than a whole
// reused-base lookup on a small repository, and ~30 MB of memory (BENCHMARKS.md). The
// baseline compiler alone is plenty for a parser that handles a few requests.
import { setFlagsFromString } from 'node:v8'

setFlagsFromString('--liftoff-only')
