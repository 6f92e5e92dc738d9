export * from './confined.js'
export * from './input-paths.js'
