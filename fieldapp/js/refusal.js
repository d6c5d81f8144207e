// Why the server refused a document, in words a worker reads: each problem
// names the member or need it is about ("高德明的体温须在 34–43 °C 之间"),
// never a path like `checks[0].temperature`.
//
// The tablet's validator (the twin of the server's schemas) is asked first,
// so the words are the ones this app would have said; a refusal it cannot
// reproduce (no longer the worker's grid, a rule this build does not know)
// is read from the server's reason, "field: zh / en; …".

import { currentLang } from './i18n.js';
import { index } from './store.js';
import { validate } from './rules/validate.js';

// "checks[0].temperature" → who or what the path is about: "高德明" / "第 2 项需求".
function subject(doc, field) {
  const m = /^(checks|needs|members|warnings)\[(\d+)\]/.exec(field);
  if (!m) return null;
  const i = Number(m[2]);
  const hh = index.households.get(doc.household || doc._id) || (doc.type === 'household' ? doc : null);
  const names = new Map((hh?.members || []).filter(Boolean).map((x) => [x.id, x.name]));
  if (m[1] === 'checks') {
    const id = doc.checks?.[i]?.member;
    return names.get(id) ? { zh: `${names.get(id)}的`, en: `${names.get(id)}: ` } : null;
  }
  if (m[1] === 'members') {
    const name = doc.members?.[i]?.name;
    return name ? { zh: `成员${name}的`, en: `member ${name}: ` } : null;
  }
  if (m[1] === 'needs') return { zh: `第 ${i + 1} 项需求的`, en: `need ${i + 1}: ` };
  return { zh: `第 ${i + 1} 条预警的`, en: `warning ${i + 1}: ` };
}

// The server's reason split into its problems: [{field, zh, en}].
function parse(reason = '') {
  return reason.split('; ').filter(Boolean).map((part) => {
    const m = /^([\w.[\]]+): (.*?)(?: \/ (.*))?$/.exec(part);
    if (m) return { field: m[1], zh: m[2], en: m[3] || m[2] };
    const [zh, en] = part.split(' / ');               // "中文 / English" without a field
    return { field: '', zh, en: en || zh };
  });
}

/**
 * The problems of doc as the worker reads them, [{field, text}] in the
 * current language (each also as {zh, en}); reason is the server's.
 */
export function explain(doc, reason) {
  const found = doc ? validate(doc) : [];
  const problems = found.length ? found : parse(reason);
  return problems.map((p) => {
    const who = p.field ? subject(doc || {}, p.field) : null;
    const zh = who ? `${who.zh}${p.zh}` : p.zh;
    const en = who ? `${who.en}${p.en}` : p.en;
    return { field: p.field, zh, en, text: currentLang() === 'en' ? en : zh };
  });
}
