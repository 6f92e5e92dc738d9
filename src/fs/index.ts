export * from './confined.js'
