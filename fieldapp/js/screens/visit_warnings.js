// Early warnings on the new-visit form: the rule set in force (store.js) is
// evaluated (rules.js, the twin of rules/warning_rules.py) on every change to the
// member checks, and each warning appears at once under its member's check.
// The worker accepts one (its colour goes into colour after, its reason into
// the colour reason; a referral is made on saving) or overrides it with a
// reason; both are kept in the visit's `warnings`, and the visit is not saved
// until every warning is decided. Accepting is undone when the warning goes
// (its reading was corrected) or is overridden, so a typo leaves no trace.

import { both, currentLang, said, t, v } from '../i18n.js';
import { SEVERITY } from '../rules/vocabulary.js';
import { RuleError, evaluate } from '../rules/warnings.js';
import { validate } from '../rules/validate.js';
import { index, lastVisitOf } from '../store.js';
import { $, $$, badge, chosen, esc } from '../ui.js';

const keyOf = (w) => `${w.rule}|${w.member ?? ''}`;

// The checks with every impossible reading (50 °C, SpO2 120) left out, so a
// typo the form refuses never raises a warning first.
function possible(checks, hh) {
  const probe = {
    _id: `visit:${hh.grid}:probe`, type: 'visit', schema: 2, grid: hh.grid, updated_at: new Date().toISOString(),
    updated_by: 'probe', household: hh._id, visited_at: new Date().toISOString(), worker: 'probe',
    outcome: 'met', colour_after: 'green', checks,
  };
  const bad = new Set(validate(probe).map((e) => e.field));
  return checks.map((c, i) => Object.fromEntries(Object.entries(c).filter(([k]) => !bad.has(`checks[${i}].${k}`))));
}
const reasonIn = (w, lang) => w.reason?.[lang] || w.reason?.zh || w.reason?.en || w.rule;

/** Where household-level warnings go (seen whatever the outcome). */
export const householdWarnings = () => '<div id="hh-warnings" class="warn-list"></div>';

/** A quiet line, at the top of the checks, when the rule set cannot be read. */
export const rulesNote = () => '<p class="muted rules-note" id="rules-note" hidden></p>';

/** Where a member's warnings go, inside their check block. */
export const memberWarnings = () => '<div class="warn-list"></div>';

function card(w, names) {
  const who = w.member ? names.get(w.member) || w.member : t('thisHousehold');
  const referral = w.referral ? `<span class="pill pill-warn">${esc(t('suggestReferral', { r: v(w.referral) }))}</span>` : '';
  return `<div class="warning c-edge-${esc(w.colour)}" role="alert" data-key="${esc(keyOf(w))}"
      data-warning="${esc(w.rule)}" data-member="${esc(w.member ?? '')}">
    <div class="row wrap"><strong class="warn-who">⚠ ${esc(who)}</strong>
      <span>${esc(t('suggestColour', { c: '' }))}${badge(w.colour)}</span>${referral}</div>
    <p class="warn-reason">${esc(reasonIn(w, currentLang()))}</p>
    <div class="row wrap"><button type="button" class="btn btn-big warn-accept" aria-pressed="false">${esc(t('acceptWarning'))}</button>
      <button type="button" class="btn btn-big warn-override" aria-pressed="false">${esc(t('overrideWarning'))}</button>
      <span class="warn-done muted"></span></div>
    <label class="warn-why" hidden>${esc(t('overrideReason'))}<textarea name="override_reason" rows="2" maxlength="500"></textarea></label>
  </div>`;
}

const severity = (colour) => SEVERITY[colour] ?? -1;
const mostSevere = (colours) => colours.reduce((a, b) => (severity(b) > severity(a) ? b : a), null);
const SEP = '；';

/**
 * Colour after, as the warnings and the worker share it. A typo (SpO2 90 for 97)
 * must not leave a household red once corrected, so the colour an accept pressed
 * is taken back when its warning goes; but a colour the worker picked by hand
 * is theirs and is never taken back. `own` is the worker's colour (the form's
 * or one picked by hand), `raised` the colour accepts last pressed over it.
 */
function colourKeeper(form) {
  const group = $('[data-name=colour_after]', form);
  const press = (colour) => $$('.choice', group).forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.value === colour)));
  let own = chosen(group);
  let raised = null;
  return {
    group,
    /** The worker pressed colour by hand. */
    byHand(colour) { own = colour; raised = null; },
    /** Press colour when it is more severe than the chosen one. */
    raise(colour) {
      if (severity(colour) <= severity(chosen(group))) return;
      press(colour);
      raised = colour;
    },
    /** Back to the worker's colour, raised to the still-accepted colours, unless changed by hand. */
    settle(accepted) {
      if (raised === null || chosen(group) !== raised) return;
      const want = mostSevere([own, ...accepted]);
      press(want);
      raised = want === own ? null : want;
    },
  };
}

// Add segment to the colour reason unless it is there already; whether it was added.
function addReason(box, segment) {
  if (box.value.includes(segment)) return false;
  box.value = box.value.trim() ? `${box.value.trim()}${SEP}${segment}` : segment;
  return true;
}

// Take segment (as added, between '；' joins) out of the colour reason; text the
// worker has since rewritten around it is left as it is.
function removeReason(box, segment) {
  const parts = box.value.split(SEP);
  const want = segment.split(SEP);
  const at = parts.findIndex((_, i) => want.every((w, j) => parts[i + j]?.trim() === w.trim()));
  if (at < 0) return;
  parts.splice(at, want.length);
  box.value = parts.map((x) => x.trim()).filter(Boolean).join(SEP);
}

/**
 * Wire warnings into form for household hh; readVisit() gives {outcome, checks}
 * as typed so far. Returns {update(), collect()}: collect() is
 * {warnings, rules_version, errors} for saving.
 */
export function wireWarnings(form, hh, readVisit) {
  const names = new Map((hh.members || []).filter(Boolean).map((m) => [m.id, m.name]));
  const decisions = new Map();          // key -> {w, decision, why, added}
  const colour = colourKeeper(form);
  // The rules read the time since the household's last visit, as the console does.
  const household = { ...hh, last_visit_at: lastVisitOf(hh) };

  const segmentOf = (w) => `${w.member ? `${names.get(w.member) || w.member}：` : ''}${reasonIn(w, 'zh')}`;
  const accept = (d) => {
    colour.raise(d.w.colour);
    if (addReason(form.colour_reason, segmentOf(d.w))) d.added = segmentOf(d.w);
  };
  // What accepting d did, undone: its reason out (if it put it in), the colour settled.
  const unaccept = (d) => {
    if (d.added) removeReason(form.colour_reason, d.added);
    d.added = null;
    const still = [...decisions.values()].filter((x) => x !== d && x.decision === 'accepted');
    colour.settle(still.map((x) => x.w.colour));
  };

  const draw = (el) => {
    const d = decisions.get(el.dataset.key);
    $('.warn-accept', el).setAttribute('aria-pressed', String(d.decision === 'accepted'));
    $('.warn-override', el).setAttribute('aria-pressed', String(d.decision === 'overridden'));
    $('.warn-why', el).hidden = d.decision !== 'overridden';
    const hint = d.w.referral ? 'acceptedHint' : 'acceptedHintNoReferral';
    $('.warn-done', el).textContent = d.decision === 'accepted' ? t(hint, { c: v(d.w.colour) }) : '';
    el.classList.toggle('decided', Boolean(d.decision));
    if (d.decision) {                                    // the error shown before no longer holds
      el.classList.remove('invalid');
      $$('.field-error', el).forEach((x) => x.remove());
    }
    const pending = [...decisions.values()].filter((x) => !x.decision).length;
    const flag = $('#warn-pending', form);
    flag.hidden = !pending;
    flag.textContent = t('warningsPending', { n: pending });
  };

  function update() {
    const note = $('#rules-note', form);
    let found = [];
    note.hidden = true;
    try {
      const now = new Date();           // this visit is the household's latest from now on
      const visit = { ...readVisit(), visited_at: now.toISOString() };
      found = evaluate(index.rules, { ...visit, checks: possible(visit.checks, hh) }, household, now).warnings;
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      note.hidden = false;
      note.textContent = `${t('rulesBroken')}${t('colon')}${said(err.message)}`;
    }
    const keys = new Set(found.map(keyOf));
    for (const el of $$('.warning', form)) {
      if (keys.has(el.dataset.key)) continue;
      const gone = decisions.get(el.dataset.key);
      decisions.delete(el.dataset.key);
      el.remove();
      if (gone.decision === 'accepted') unaccept(gone);
    }
    for (const w of found) {
      const key = keyOf(w);
      if (!decisions.has(key)) decisions.set(key, { w, decision: null, why: '', added: null });
      const slot = w.member ? $(`.check[data-member="${CSS.escape(w.member)}"] .warn-list`, form) : null;
      let el = $$('.warning', form).find((x) => x.dataset.key === key);
      if (!el) {
        (slot || $('#hh-warnings', form)).insertAdjacentHTML('beforeend', card(w, names));
        el = (slot || $('#hh-warnings', form)).lastElementChild;
      }
      draw(el);
    }
    if (!found.length) $('#warn-pending', form).hidden = true;
  }

  form.addEventListener('click', (event) => {
    const own = event.target.closest('.choice');
    if (own && colour.group.contains(own)) colour.byHand(own.dataset.value);
    const button = event.target.closest('.warn-accept, .warn-override');
    if (!button) return;
    const el = button.closest('.warning');
    const d = decisions.get(el.dataset.key);
    const was = d.decision;
    d.decision = button.classList.contains('warn-accept') ? 'accepted' : 'overridden';
    if (d.decision === 'accepted') accept(d);
    else if (was === 'accepted') unaccept(d);
    draw(el);
    if (d.decision === 'overridden') $('textarea', el).focus();
  });
  form.addEventListener('input', (event) => {
    const el = event.target.closest('.warning');
    if (el) decisions.get(el.dataset.key).why = event.target.value;
    else if (event.target.closest('#checks')) update();
  });
  form.addEventListener('change', (event) => { if (event.target.closest('#checks')) update(); });

  function collect() {
    const warnings = [], errors = [];
    $$('.warning', form).forEach((el, i) => {
      const { w, decision, why } = decisions.get(el.dataset.key);
      el.dataset.path = `warnings[${i}]`;
      const r = reasonIn(w, 'zh');
      const item = { rule: w.rule, colour: w.colour, reason: r.slice(0, 500) };
      if (w.member) item.member = w.member;
      if (w.referral) item.referral = w.referral;
      if (!decision) errors.push({ field: `warnings[${i}]`, ...both('decideWarning', { r }) });
      else if (decision === 'overridden' && !why.trim()) {
        errors.push({ field: `warnings[${i}]`, ...both('overrideNeedsReason', { r }) });
      }
      item.decision = decision;
      if (decision === 'overridden') item.override_reason = why.trim();
      warnings.push(item);
    });
    return { warnings, rules_version: index.rules?.version, errors };
  }

  /** The decisions taken so far, [{key, decision, why}] (kept in a draft). */
  const decided = () => [...decisions.entries()].filter(([, d]) => d.decision)
    .map(([key, d]) => ({ key, decision: d.decision, why: d.why }));

  /** Take decisions back from a draft; the colour and reason are already as they were. */
  function restore(list = []) {
    for (const { key, decision, why } of list) {
      const d = decisions.get(key);
      const el = $$('.warning', form).find((x) => x.dataset.key === key);
      if (!d || !el) continue;                           // the warning no longer holds
      d.decision = decision;
      d.why = why || '';
      $('textarea', el).value = d.why;
      if (decision === 'accepted' && form.colour_reason.value.includes(segmentOf(d.w))) d.added = segmentOf(d.w);
      draw(el);
    }
  }

  return { update, collect, decided, restore };
}
