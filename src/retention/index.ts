// Retention of dated base tags (docs/DESIGN.md §6.4): plan (pure), apply (dry-run or delete) and the
// deletion backends (Distribution API, GitHub Packages API for ghcr.io).
export { planRetention, type RetentionDeleteEntry, type RetentionPlan, type RetentionPolicy, type TagInfo } from './retention-plan.js'
export { applyRetention, type DeleteOutcome, type ReferrerLister, type RetentionBackend, type RetentionLog } from './apply.js'
export { collectTagInfo, distributionBackend, type CollectOptions, type ManifestDeleter, type TagSource } from './distribution.js'
export { ghcrBackend, type GhcrBackendOptions } from './ghcr.js'
export { selectBackend, unsupportedReason, type BackendKind } from './select.js'
