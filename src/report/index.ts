// The report: job summary and sticky PR comment (one Markdown document), size budgets.

export { renderReport, sparkline } from './render.js'
export { formatBytes, formatDelta, formatDuration } from './format.js'
export { evaluateBudget, type BudgetArgs } from './budget.js'
export { commentMarker, COMMENT_BODY_LIMIT } from './marker.js'
// The comment writer (Octokit) is loaded where a comment is written: `import('./report/comment.js')`.
export type { CommentLog, CommentTarget } from './comment.js'
export type * from './model.js'
