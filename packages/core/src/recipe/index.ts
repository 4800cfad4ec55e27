export {
  KNOWN_DEVICES,
  KNOWN_PRESETS,
  RECIPE_SCHEMA_URL,
  RecipeSchema,
  SPEC_VERSIONS,
  type Device,
  type DirectoryEntry,
  type FileEntry,
  type LinkMode,
  type Preset,
  type Recipe,
  type RecipeJail,
  type SymlinkEntry,
  type UserEntry,
  type WriteEntry,
} from './schema.js';
export {
  normalizeRecipe,
  parseMode,
  type NormalizedDirectoryEntry,
  type NormalizedFileEntry,
  type NormalizedRecipe,
  type NormalizedSymlinkEntry,
  type NormalizedUserEntry,
  type NormalizedWriteEntry,
} from './normalize.js';
export { didYouMean, editDistance } from './did-you-mean.js';
export { jailPathProblem, symlinkTargetProblem } from './jail-path.js';
export { recipeJsonSchema, recipeJsonSchemaText } from './json-schema.js';
export { formatRecipePath, loadRecipe, parseRecipe, type LoadedRecipe } from './load.js';
export { RecipeError, formatRecipeIssue, type RecipeIssue } from './recipe-error.js';
export {
  RECIPE_FILE_NAME,
  RECIPE_SCOPE,
  resolveRecipeReference,
  type ResolveRecipeReferenceOptions,
} from './resolve-reference.js';
