// A campaign's form version on screen: ODK Web Forms (docs/campaign-forms.md)
// mounted on its XForm, offline (the engine and Vue are precached), in the
// worker's language; a draft's instance XML put back; the answer read off as
// the JSON the server checks (rules/answers.py): question name → value, a
// group's questions among their parent's, a repeat a list of objects, numbers
// as numbers, a select_multiple a list, unanswered questions left out.

const ENGINE = '../vendor/web-forms/index.js';

const kids = (el, name) => [...el.children].filter((c) => c.localName === name
  && !c.hasAttribute('jr:template') && !c.getAttributeNS('http://openrosa.org/javarosa', 'template'));

function value(question, text) {
  if (question.type === 'integer') return Number.parseInt(text, 10);
  if (question.type === 'decimal') return Number(text);
  if (question.type === 'select_multiple') return text.split(/\s+/).filter(Boolean);
  return text;
}

function fill(el, parent, out, byParent) {
  for (const q of byParent.get(parent) || []) {
    if (q.type === 'group') {
      const [group] = kids(el, q.name);
      if (group) fill(group, q.path, out, byParent);
    } else if (q.type === 'repeat') {
      const entries = kids(el, q.name).map((entry) => {
        const one = {};
        fill(entry, q.path, one, byParent);
        return one;
      });
      if (entries.length) out[q.name] = entries;
    } else if (q.type !== 'note') {
      const text = kids(el, q.name)[0]?.textContent ?? '';
      if (text !== '') out[q.name] = value(q, text);
    }
  }
  return out;
}

/** The answer's values from an instance XML of form (a form version document). */
export function valuesOf(xml, form) {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const byParent = new Map();
  for (const q of form.questions) {
    const parent = q.parent || `/${form.root || 'data'}`;
    byParent.set(parent, [...(byParent.get(parent) || []), q]);
  }
  return fill(doc.documentElement, `/${form.root || 'data'}`, {}, byParent);
}

// The engine's language for the app's: the form's "English (en)" for 'en', else its default.
function languageFor(root, lang) {
  const want = lang === 'en' ? /\(en\)$|^en$|^English/i : /\(zh\)$|^zh|^\u4e2d\u6587/;
  return (root.languages || []).find((l) => want.test(l.language || '')) || null;
}

/**
 * Mount form's XForm on host: returns {xml(), violations(), submit(), unmount()}
 * once the engine has drawn it. xml: a draft's instance to resume (or null);
 * lang: 'zh' or 'en'.
 */
export async function mountForm(host, form, { xml = null, lang = 'zh' } = {}) {
  const { createApp } = await import('vue');
  const { OdkWebForm, webFormsPlugin } = await import(ENGINE);
  let root = null;
  let submitted = null;
  const app = createApp(OdkWebForm, {
    formXml: form.xform,
    fetchFormAttachment: () => Promise.resolve(new Response('', { status: 404 })),
    ...(xml ? { editInstance: { resolveInstance: () => xml, attachmentFileNames: [], resolveAttachment: () => null } } : {}),
    onSubmit: (payload) => {
      const file = payload?.data?.[0]?.get?.('xml_submission_file');
      Promise.resolve(file ? file.text() : root.instanceState.instanceXML).then(submitted);
    },
  });
  // The engine's root node reaches us as the form header's `form` prop.
  app.mixin({
    beforeMount() {
      const form = this.$props?.form;
      if (!root && form?.instanceState && typeof form.setLanguage === 'function') root = form;
    },
  });
  app.use(webFormsPlugin).mount(host);
  const started = Date.now();
  while (!root) {
    if (host.querySelector('.form-initialization-status.error') || Date.now() - started > 30000) {
      app.unmount();
      throw new Error('the form engine could not open this form');
    }
    await new Promise((r) => { setTimeout(r, 50); });
  }
  const language = languageFor(root, lang);
  if (language && root.currentState?.activeLanguage?.language !== language.language) root.setLanguage(language);
  return {
    xml: () => root.instanceState.instanceXML,
    violations: () => root.validationState.violations.length,
    /** Press the engine's own send: resolves the instance XML, or null when questions need fixing. */
    submit() {
      const send = host.querySelector('.footer button');
      const done = new Promise((resolve) => { submitted = resolve; });
      send.click();
      return root.validationState.violations.length ? Promise.resolve(null) : done;
    },
    unmount: () => app.unmount(),
  };
}
