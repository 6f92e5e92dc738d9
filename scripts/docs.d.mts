// Types of scripts/docs.mjs (plain Node ESM, imported by __tests__/docs.test.ts).

export interface ActionInput {
  name: string
  description: string
  required: boolean
  default: string
}

export interface ActionOutput {
  name: string
  description: string
}

export function readAction(actionYml: string): { inputs: ActionInput[]; outputs: ActionOutput[] }
export function cell(text: string): string
export function codeSpan(value: string): string
export function splitDefault(input: ActionInput): { description: string; defaultText: string }
export function inputsTable(actionYml: string): string
export function outputsTable(actionYml: string): string
export function renderReadme(readme: string, actionYml: string): string
export function updateReadme(options?: { root?: string; check?: boolean }): boolean
