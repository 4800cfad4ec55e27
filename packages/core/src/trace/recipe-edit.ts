/** Writes learned additions into a recipe's YAML, keeping its comments and layout (yaml's Document API). */
import { isSeq, parseDocument, type Document } from 'yaml';

/** One thing learned for the jail, with the evidence for it. */
export interface LearnedAddition {
  kind: 'file' | 'library' | 'directory' | 'device' | 'user' | 'group';
  /** The path, soname, device or account name. */
  value: string;
  /** For a directory: its owner (the service user) when the service writes in it. */
  owner?: string | undefined;
  /** Why: what the run asked for ("ENOENT openat /usr/lib/…", "named by /etc/apache2/apache2.conf"). */
  why: string;
}

const KEYS: Record<LearnedAddition['kind'], string> = {
  file: 'files',
  library: 'libraries',
  directory: 'directories',
  device: 'devices',
  user: 'users',
  group: 'groups',
};

function addTo(document: Document, key: string, value: unknown, comment: string): void {
  const path = ['jail', key];
  if (!isSeq(document.getIn(path))) document.setIn(path, document.createNode([]));
  const node = document.createNode(value, { flow: typeof value === 'object' });
  node.comment = ` learned: ${comment.replace(/\n/g, ' ')}`;
  document.addIn(path, node);
}

/** The recipe text with the additions appended to their jail lists, each with a `# learned: why` comment. */
export function addToRecipe(text: string, additions: readonly LearnedAddition[]): string {
  const document = parseDocument(text);
  for (const addition of additions) {
    const value = addition.kind === 'directory' && addition.owner ? { path: addition.value, owner: addition.owner, mode: '0750' } : addition.value;
    addTo(document, KEYS[addition.kind], value, addition.why);
  }
  const padded = text.includes('{ ') || text.includes('[ ');
  const output = document.toString({ lineWidth: 0, flowCollectionPadding: padded });
  // yaml re-prints flow collections with one padding style and comments after one space; lines that differ from the original only so are restored.
  const squeeze = (line: string) => line.replace(/(\S)\s+/g, '$1 ').replace(/([[{])\s+/g, '$1').replace(/\s+([\]}])/g, '$1').trimEnd();
  const original = new Map(text.split('\n').map((line) => [squeeze(line), line]));
  return output
    .split('\n')
    .map((line) => original.get(squeeze(line)) ?? line)
    .join('\n');
}

/** A minimal line diff (`-`/`+` lines with two lines of context), enough to review what learning changed. */
export function lineDiff(before: string, after: string, label = 'recipe'): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const table: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = table[i] as number[];
      row[j] = a[i] === b[j] ? ((table[i + 1] as number[])[j + 1] as number) + 1 : Math.max((table[i + 1] as number[])[j] as number, row[j + 1] as number);
    }
  }
  const lines: { mark: ' ' | '-' | '+'; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) lines.push({ mark: ' ', text: a[i++] as string }) && j++;
    else if (j < b.length && (i >= a.length || ((table[i] as number[])[j + 1] as number) >= ((table[i + 1] as number[])[j] as number))) lines.push({ mark: '+', text: b[j++] as string });
    else lines.push({ mark: '-', text: a[i++] as string });
  }
  const keep = lines.map((line, index) => line.mark !== ' ' || lines.slice(Math.max(0, index - 2), index + 3).some((near) => near.mark !== ' '));
  const out = [`--- ${label}`, `+++ ${label} (learned)`];
  lines.forEach((line, index) => {
    if (keep[index]) out.push(`${line.mark}${line.text}`);
    else if (keep[index - 1]) out.push('…');
  });
  return `${out.join('\n')}\n`;
}
