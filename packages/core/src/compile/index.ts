export { compileRecipe, type CompileOptions, type CompilePhase, type CompileOutcome, type PhaseEvent } from './compile.js';
export { chooseProfile, formatMakeSet, planCompile, type CompileFile, type CompilePlan, type CompilePlanOptions, type CompileStep } from './compile-plan.js';
export {
  applyCompiledBinaries,
  compiledBinariesFile,
  engineStateDirectory,
  forgetCompiledBinaries,
  readCompiledBinariesText,
  withCompiledBinaries,
  type CompiledBinaries,
} from './compiled-binaries.js';
export { checkSource, findRelease, sha256File, unpackSource, type SourceCheck } from './source.js';
export { applySourceEdits, editSourceText, formatSourceEdits, type AppliedSourceEdit } from './source-edits.js';
