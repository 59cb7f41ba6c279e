/** `node --import` entry for real-process tests: the server knows the scripted test source. */
import { registerScriptedSource } from './scripted-source.ts'

registerScriptedSource()
