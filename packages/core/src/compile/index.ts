export { applySourceEdits, editSourceText, formatSourceEdits, type AppliedSourceEdit } from './source-edits.js';
