/** `@jailwright/core/testing`: the conformance kit and helpers every recipe's tests use (vitest is a peer dependency). */
export { commandRunner, describeRecipe, type DescribeRecipeOptions, type PrepareContext, type PreparedRecipe, type RecipeRequirement, type RunningService } from './describe-recipe.js';
export { freeTcpPort, freeTcpUdpPort, hostAccountEntry, JAILWRIGHT_CLI, makeJailParent, rememberAccount, runCommand, type CommandResult } from './helpers.js';
export { planSnapshot } from './plan-snapshot.js';
export { processTree } from '../check/process-tree.js';
