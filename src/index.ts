import './runtime.js'
import { run } from './main.js'

await run()
