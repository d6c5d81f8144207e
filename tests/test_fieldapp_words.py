"""Every word of the field app switches to English (issue 14, item 10).

The rule, held here over fieldapp/js/**.js and fieldapp/index.html: a
user-facing Chinese character (Han ideographs, CJK punctuation, full-width
forms) lives in fieldapp/js/i18n.js and nowhere else, outside comments.
The exceptions, each a reason rather than a loophole:

- bilingual tables that carry Chinese and English side by side and pick one
  at display time: the rules' messages (``rules/schema/messages.js``, the
  twin of the Python schemas' messages) and ``{zh: …, en: …}`` pairs on one
  line (refusal.js's field phrases);
- the plain-HTTP page (insecure.js), shown instead of the app, before any
  language choice can be read, with both languages on the page;
- data values stored in Chinese in the records (the records' language) and
  shown through a translation table: the service presets (visit_parts.js,
  every one with an English name in ``SERVICE_EN``), and the punctuation
  that joins warning reasons into a record's colour reason or a request's
  detail (visit_warnings.js, records.js);
- index.html's Chinese, which app.js replaces before the first screen (the
  title, the loading line; the bell's label is set by notices.js).

Real node reads the tables of words: both languages hold the same keys, with
the same placeholders, and every ``t('key')`` the app calls exists.
"""

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "fieldapp" / "js"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
BILINGUAL_FILES = {"rules/schema/messages.js": "a table of [zh, en] pairs",
                   "insecure.js": "the plain-HTTP page, both languages on it"}
DATA = {"screens/visit_warnings.js": {"；", "："},      # joins reasons stored in colour_reason
        "records.js": {"："}}                           # "member：reason" stored in a request
READ_WORDS = """
globalThis.localStorage = {getItem: () => null, setItem: () => {}};
const {WORDS} = await import('./fieldapp/js/i18n.js');
console.log(JSON.stringify(WORDS));
"""


def _code(text):
    """The text without comments (block comments, then line comments after space)."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group().count("\n"), text, flags=re.S)
    return [re.sub(r"(^|\s)//.*$", "", line) for line in text.splitlines()]


def _presets():
    """The service presets and their English names, read from visit_parts.js."""
    source = (JS / "screens" / "visit_parts.js").read_text()
    listed = source.split("SERVICE_PRESETS = [")[1].split("]")[0]
    table = source.split("SERVICE_EN = {")[1].split("}")[0]
    return (re.findall(r"'([^']+)'", listed),
            dict(re.findall(r"(\S+): '([^']+)'", table)))


def _sources():
    return [(p.relative_to(JS).as_posix(), p.read_text()) for p in sorted(JS.rglob("*.js"))]


def _strays(sources):
    """Lines of ``sources`` ((name, text) pairs) holding Chinese against the rule."""
    presets, _ = _presets()
    allowed = {**DATA, "screens/visit_parts.js": set(presets)}
    found = []
    for name, text in sources:
        if name == "i18n.js" or name in BILINGUAL_FILES:
            continue
        for number, line in enumerate(_code(text), 1):
            runs = CJK.findall(line)
            if not runs or ("zh:" in line and "en:" in line):
                continue
            stray = [r for r in runs if r not in allowed.get(name, ())]
            if stray:
                found.append(f"{name}:{number}: {' '.join(stray)}")
    return found


def test_no_screen_holds_chinese_outside_the_words():
    found = _strays(_sources())
    presets, english = _presets()
    assert found == [], "Chinese outside i18n.js (use t()):\n" + "\n".join(found)
    assert len(presets) >= 9 and set(presets) == set(english), (presets, english)
    assert not any(CJK.search(word) for word in english.values())


def test_the_rule_catches_a_chinese_literal():
    probe = ("// 注释可以写中文\nexport const x = () => `<p>保存成功</p>`; // 说明\n"
             "/* 块注释\n 也可以 */ export const y = { zh: '中文', en: 'English' };\n"
             "const z = `${a}：${b}`; const w = '测量血压';\n")
    assert _strays([("screens/probe.js", probe), ("screens/visit_parts.js", probe)]) == [
        "screens/probe.js:2: 保存成功", "screens/probe.js:5: ： 测量血压",
        "screens/visit_parts.js:2: 保存成功", "screens/visit_parts.js:5: ："]


def test_index_html_speaks_chinese_only_where_the_app_replaces_it():
    html = (ROOT / "fieldapp" / "index.html").read_text()
    words = _words()
    assert set(CJK.findall(html)) <= {words["zh"]["app"], words["zh"]["notices"], "正在加载"}
    assert words["zh"]["loading"].startswith("正在加载")
    app = (JS / "app.js").read_text()
    assert "document.title = t('app')" in app and "t('loading')" in app
    assert "bell.setAttribute('aria-label', t('notices'))" in (JS / "screens/notices.js").read_text()


def _words():
    out = subprocess.run(["node", "--input-type=module", "-e", READ_WORDS], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def test_every_word_has_chinese_and_english_with_the_same_placeholders():
    words = _words()
    for zh, en in (("zh", "en"), ("valueZh", "valueEn")):
        assert sorted(set(words[zh]) ^ set(words[en])) == [], (zh, en)
        for key, text in words[zh].items():
            other = words[en][key]
            assert text.strip() or key in ("colon", "listSep", "clauseSep"), key
            assert other.strip() or key in ("colon", "listSep", "clauseSep"), key
            assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", other)), key
            if key != "lang":                      # the switch names the other language: 中文
                assert not CJK.search(other), (key, other)
    assert len(words["zh"]) > 200 and len(words["valueZh"]) > 60


def test_every_key_the_app_asks_for_exists():
    words = _words()
    asked = set()
    for path in JS.rglob("*.js"):
        code = "\n".join(_code(path.read_text()))
        asked |= set(re.findall(r"\b(?:t|both)\('(\w+)'", code))
    missing = sorted(asked - set(words["zh"]))
    assert missing == [] and len(asked) > 150, missing


SAID = """
globalThis.localStorage = {getItem: () => process.argv[1], setItem: () => {}};
const {said} = await import('./fieldapp/js/i18n.js');
console.log(JSON.stringify([said('用户名或密码错误 / name or password is incorrect'),
  said('甲 / a; 乙 / b'), said('HTTP 502')]));
"""


def test_a_server_reason_is_shown_in_the_workers_language():
    def said(lang):
        out = subprocess.run(["node", "--input-type=module", "-e", SAID, lang], cwd=ROOT,
                             capture_output=True, text=True, check=True, timeout=60)
        return json.loads(out.stdout)
    assert said("en") == ["name or password is incorrect", "a; b", "HTTP 502"]
    assert said("zh") == ["用户名或密码错误", "甲；乙", "HTTP 502"]
