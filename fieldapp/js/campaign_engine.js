// A campaign's form version on screen: ODK Web Forms (docs/campaign-forms.md)
// mounted on its XForm, offline (the engine and Vue are precached), in the
// worker's language; a draft's instance XML put back; the answer read off as
// the JSON the server checks (rules/answers.py): question name → value, a
// group's questions among their parent's, a repeat a list of objects, numbers
// as numbers, a select_multiple a list, unanswered questions left out.
// The engine's own words are the worker's too: the fallback "required" and
// "constraint" messages go into the XForm as its own jr:requiredMsg and
// jr:constraintMsg, the date picker's words into PrimeVue's locale, and the
// few words it hard-codes (a repeat's Add and Remove) are put in i18n's
// words where they are drawn.

import { t } from './i18n.js';

const ENGINE = '../vendor/web-forms/index.js';
const JR = 'http://openrosa.org/javarosa';

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

/** form's XForm with the app's messages where a bind has none: required, constraint. */
export function withOwnMessages(xform) {
  const doc = new DOMParser().parseFromString(xform, 'application/xml');
  if (doc.querySelector('parsererror')) return xform;
  for (const bind of doc.getElementsByTagNameNS('*', 'bind')) {
    const required = bind.getAttribute('required');
    if (required && required !== 'false()' && !bind.hasAttributeNS(JR, 'requiredMsg')) {
      bind.setAttributeNS(JR, 'jr:requiredMsg', t('engineRequired'));
    }
    if (bind.getAttribute('constraint') && !bind.hasAttributeNS(JR, 'constraintMsg')) {
      bind.setAttributeNS(JR, 'jr:constraintMsg', t('engineConstraint'));
    }
  }
  return new XMLSerializer().serializeToString(doc);
}

const list = (key) => t(key).split(',');

// PrimeVue's own locale (the engine's date picker and menus), in the app's words.
function engineLocale() {
  return {
    dayNames: list('engineDayNames'), dayNamesShort: list('engineDayNamesShort'),
    dayNamesMin: list('engineDayNamesMin'), monthNames: list('engineMonthNames'),
    monthNamesShort: list('engineMonthNamesShort'), today: t('engineToday'), clear: t('engineClear'),
    chooseDate: t('engineChooseDate'), chooseYear: t('engineChooseYear'), chooseMonth: t('engineChooseMonth'),
    prevMonth: t('enginePrevMonth'), nextMonth: t('engineNextMonth'), prevYear: t('enginePrevYear'),
    nextYear: t('engineNextYear'), weekHeader: t('engineWeekHeader'), dateFormat: 'yy-mm-dd',
    emptyMessage: t('engineNoOptions'), emptyFilterMessage: t('engineNoResults'), emptySearchMessage: t('engineNoResults'),
  };
}

// The words the engine draws itself (no hook for them): English text → the app's word,
// those the app words alike left out (a write of the same text would wake the observer again).
const DRAWN = () => new Map([['Add', t('engineAdd')], ['Remove', t('engineRemove')],
  ['Repeat Item', t('engineRepeatItem')], ['Send', t('engineSend')],
  ['Change language', t('engineChangeLanguage')]].filter(([engine, ours]) => engine !== ours));

// What the form itself says (its labels, choices, notes) is never reworded.
const FORMS_OWN = 'label, .control-text, .text-content';

// Put the app's words in place of the engine's under root (" Add " before a repeat's
// name becomes "添加": Chinese puts no spaces around it).
function reword(root, words) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.currentNode; node; node = walker.nextNode()) {
    const word = node.nodeType === Node.TEXT_NODE && words.get(node.nodeValue.trim());
    if (word && !node.parentElement?.closest(FORMS_OWN)) node.nodeValue = word;
  }
  const elements = root.nodeType === Node.ELEMENT_NODE ? [root, ...root.querySelectorAll('[aria-label]')] : [];
  for (const el of elements) {
    const word = words.get(el.getAttribute('aria-label') || '');
    if (word) el.setAttribute('aria-label', word);
  }
}

// Keep rewording what the engine draws in host and in the overlays (menus) it adds to
// body, until host leaves the page (the screen was left).
function watchWords(host) {
  const words = DRAWN();
  const ours = (node) => host.contains(node)
    || Boolean((node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement)?.closest('[data-pc-name]'));
  const observer = new MutationObserver((changes) => {
    if (!host.isConnected) { observer.disconnect(); return; }
    for (const change of changes) {
      if (change.type === 'characterData') {
        if (ours(change.target)) reword(change.target, words);
      } else {
        for (const node of change.addedNodes) if (ours(node)) reword(node, words);
      }
    }
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  reword(host, words);
  return () => observer.disconnect();
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
    formXml: withOwnMessages(form.xform),
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
  app.use(webFormsPlugin);
  Object.assign(app.config.globalProperties.$primevue.config.locale, engineLocale());
  const unwatch = watchWords(host);
  app.mount(host);
  const started = Date.now();
  while (!root) {
    if (host.querySelector('.form-initialization-status.error') || Date.now() - started > 30000) {
      unwatch();
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
    unmount: () => { unwatch(); app.unmount(); },
  };
}
