export { ExitCode, JailwrightError } from './errors.js';
