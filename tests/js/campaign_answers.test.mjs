// The tablet's form engine (@getodk/xforms-engine, the engine inside
// @getodk/web-forms) against the shared campaign vectors: the same answers
// must have the same problems as on the server (rules/answers.py). Real
// engine in node; faked only what node lacks: a DOM (jsdom, as the engine's
// own tests use) and the clock, set to the vectors' day so today() agrees.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { JSDOM } from 'jsdom';

const vectors = JSON.parse(readFileSync(new URL('../vectors/campaign_cases.json', import.meta.url)));
const dom = new JSDOM('').window;
for (const name of ['DOMParser', 'XMLSerializer', 'Node', 'Document', 'Element', 'XPathResult',
  'document', 'XMLDocument', 'NodeFilter']) globalThis[name] = dom[name];
// The engine's bundled tree-sitter loader looks for __dirname and require (CommonJS names).
const engineDir = new URL('../../node_modules/@getodk/xforms-engine/dist/', import.meta.url);
globalThis.__dirname = engineDir.pathname;
globalThis.require = createRequire(engineDir);
mock.timers.enable({ apis: ['Date'], now: new Date(`${vectors.today}T12:00:00+08:00`) });
const { createInstance } = await import('@getodk/xforms-engine');

const form = vectors.form;
const byPath = new Map(form.questions.map((q) => [q.path, q]));

function walk(node, visit) {
  visit(node);
  for (const child of node.currentState.children ?? []) walk(child, visit);
}

// "/data/members[2]/member_age" → "values.members[1].member_age" (groups vanish).
function fieldOf(reference) {
  const parts = [];
  let path = '';
  for (const step of reference.split('/').slice(2)) {
    const [, name, index] = step.match(/^([^[]+)(?:\[(\d+)\])?$/);
    path += `/${name}`;
    const q = byPath.get(`/${form.root}${path}`);
    if (q?.type === 'group') continue;
    parts.push(q?.type === 'repeat' && index ? `${name}[${Number(index) - 1}]` : name);
  }
  return `values.${parts.join('.')}`;
}

function find(root, reference) {
  let found = null;
  walk(root, (n) => { if (n.currentState.reference === reference) found = n; });
  return found;
}

function setAll(root, parentRef, parentPath, values, given) {
  for (const q of form.questions.filter((x) => (x.parent ?? `/${form.root}`) === parentPath)) {
    const ref = `${parentRef}/${q.name}`;
    if (q.type === 'group') { setAll(root, ref, q.path, values, given); continue; }
    if (q.type === 'repeat') {
      const entries = values[q.name] ?? [];
      const range = find(root, ref);
      const have = range.currentState.children.length;
      if (entries.length > have) range.addInstances(have - 1, entries.length - have);
      if (entries.length < have) range.removeInstances(entries.length, have - entries.length);
      entries.forEach((entry, i) => setAll(root, `${ref}[${i + 1}]`, q.path, entry, given));
      continue;
    }
    if (!(q.name in values) || q.type === 'calculate') continue;
    const node = find(root, ref);
    const value = values[q.name];
    if (q.type === 'select_one') node.selectValue(value);
    else if (q.type === 'select_multiple') node.selectValues(value);
    else node.setValue(typeof value === 'number' ? String(value) : value);
    given.set(ref, value);
  }
}

for (const c of vectors.cases.filter((x) => x.engine)) {
  test(c.name, async () => {
    const { root } = await createInstance(form.xform);
    const given = new Map();
    setAll(root, `/${form.root}`, `/${form.root}`, c.values, given);
    const found = [];
    walk(root, (node) => {
      const ref = node.currentState.reference;
      const q = byPath.get(ref.replace(/\[\d+\]/g, ''));
      if (!q) return;
      if (!node.currentState.relevant) {
        if (given.has(ref)) found.push({ field: fieldOf(ref), rule: 'not_relevant' });
        return;
      }
      if (q.type === 'calculate' && c.values[q.name] !== undefined
          && String(c.values[q.name]) !== String(node.currentState.value)) {
        found.push({ field: fieldOf(ref), rule: 'calculation' });
      }
      const violation = node.validationState?.violation;
      if (violation) found.push({ field: fieldOf(ref), rule: violation.condition });
    });
    assert.deepEqual(found, c.errors);
  });
}
