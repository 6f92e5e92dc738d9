export * from './confined.js'
export * from './inputs.js'
