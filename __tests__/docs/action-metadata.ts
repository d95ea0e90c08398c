// Reads action.yml (the action's metadata file) into plain records for the documentation tests.

import { readFileSync } from 'node:fs'

import { asMapping, parseYaml, type YamlMapping, type YamlValue } from './yaml-subset.js'

export interface ActionInput {
  description: string | undefined
  /** `required` as written ("true", "false") or undefined when absent. */
  required: string | undefined
  /** `default` as written; undefined when absent. */
  default: string | undefined
  deprecationMessage: string | undefined
}

export interface ActionOutput {
  description: string | undefined
}

export interface ActionMetadata {
  name: string | undefined
  description: string | undefined
  author: string | undefined
  branding: { icon: string | undefined; color: string | undefined }
  runs: Record<string, string | undefined>
  inputs: Map<string, ActionInput>
  outputs: Map<string, ActionOutput>
}

/** Read and parse an action metadata file, keeping every value as the text written there. */
export function readActionMetadata(path: string): ActionMetadata {
  const root = asMapping(parseYaml(readFileSync(path, 'utf8'), path), path)

  const inputs = new Map<string, ActionInput>()
  for (const [name, value] of Object.entries(optionalMapping(root.inputs, `${path}: inputs`))) {
    const input = asMapping(value, `${path}: input '${name}'`)
    inputs.set(name, {
      description: scalar(input.description, `${path}: inputs.${name}.description`),
      required: scalar(input.required, `${path}: inputs.${name}.required`),
      default: scalar(input.default, `${path}: inputs.${name}.default`),
      deprecationMessage: scalar(input.deprecationMessage, `${path}: inputs.${name}.deprecationMessage`)
    })
  }

  const outputs = new Map<string, ActionOutput>()
  for (const [name, value] of Object.entries(optionalMapping(root.outputs, `${path}: outputs`))) {
    const output = asMapping(value, `${path}: output '${name}'`)
    outputs.set(name, { description: scalar(output.description, `${path}: outputs.${name}.description`) })
  }

  const branding = optionalMapping(root.branding, `${path}: branding`)
  const runs: Record<string, string | undefined> = {}
  for (const [key, value] of Object.entries(optionalMapping(root.runs, `${path}: runs`))) {
    runs[key] = scalar(value, `${path}: runs.${key}`)
  }

  return {
    name: scalar(root.name, `${path}: name`),
    description: scalar(root.description, `${path}: description`),
    author: scalar(root.author, `${path}: author`),
    branding: {
      icon: scalar(branding.icon, `${path}: branding.icon`),
      color: scalar(branding.color, `${path}: branding.color`)
    },
    runs,
    inputs,
    outputs
  }
}

function optionalMapping(value: YamlValue | undefined, what: string): YamlMapping {
  return value === undefined || value === null ? {} : asMapping(value, what)
}

function scalar(value: YamlValue | undefined, what: string): string | undefined {
  if (value === undefined) return undefined
  if (value === null) return ''
  if (typeof value !== 'string') throw new Error(`${what} must be a single value, got ${JSON.stringify(value)}`)
  return value
}
