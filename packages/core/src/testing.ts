/** `@jailwright/core/testing`: the conformance kit every recipe's tests use (vitest is a peer dependency). */
export { commandRunner, describeRecipe, JAILWRIGHT_CLI, runProgram, type CommandResult, type DescribeRecipeOptions, type RunningService } from './testing/describe-recipe.js';
export { planSnapshot } from './testing/plan-snapshot.js';
