/** `node --import` entry for real-process tests: the server knows the test-only providers. */
import { registerKeyedApi } from './keyed-api.ts'
import { registerScriptedSource } from './scripted-source.ts'

registerScriptedSource()
registerKeyedApi()
