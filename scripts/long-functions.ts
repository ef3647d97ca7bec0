// Lists the longest functions in src (declarations, methods, arrows, function expressions), longest
// first: a function is named after its declaration, or the variable or property it is assigned to.
//   npx tsx scripts/long-functions.ts [--top N] [--min LINES] [DIR]
// The default is the top 20 of those over 50 lines in src.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

interface LongFunction {
  file: string;
  name: string;
  line: number;
  lines: number;
}

const args = process.argv.slice(2);
const option = (flag: string, fallback: number): number => {
  const at = args.indexOf(flag);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  args.splice(at, 2);
  return value;
};
const top = option('--top', 20);
const min = option('--min', 50);
const root = args[0] ?? 'src';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name) return named.name.getText(source);
  const parent = node.parent;
  if (
    ts.isVariableDeclaration(parent) ||
    ts.isPropertyAssignment(parent) ||
    ts.isPropertyDeclaration(parent)
  ) {
    return parent.name.getText(source);
  }
  if (ts.isCallExpression(parent)) return `(callback of ${parent.expression.getText(source).slice(0, 40)})`;
  return '(anonymous)';
}

function longFunctions(file: string): LongFunction[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > min) {
        found.push({ file: relative('.', file), name: nameOf(node, source), line: start + 1, lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const all = tsFiles(root)
  .flatMap(longFunctions)
  .sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file) || a.line - b.line);
console.log(
  `${all.length} functions over ${min} lines in ${root}; the longest ${Math.min(top, all.length)}:`,
);
for (const f of all.slice(0, top))
  console.log(`${String(f.lines).padStart(5)}  ${f.file}:${f.line}  ${f.name}`);
