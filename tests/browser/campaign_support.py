"""Filling a campaign's form (ODK Web Forms) on the tablet as a worker does,
by the questions' Chinese labels, counting the taps it takes: every click on
an option or button and every text or number field focused is one tap
(the keys typed into a field are not counted)."""

from tests.tablet_work import households

CAMPAIGN = "campaign:community:shijia:winter2026"
TARGET_TAGS = {"over65", "elderly_alone", "chronic"}


def targeted_by_tags(hh):
    """Whether the demo campaign (key persons by tag) asks about hh."""
    return bool({t for m in hh["members"] for t in m.get("tags", [])} & TARGET_TAGS)


def household_of_two(server, grid="g1", skip=("household:g1:1-1-101",)):
    """A targeted demo household of grid with exactly two members."""
    for hh in households(server, grid):
        if hh["_id"] not in skip and len(hh["members"]) == 2 and targeted_by_tags(hh):
            return hh
    raise AssertionError(f"no targeted household of two in {grid}")


def targeted_single(server, grid="g1", skip=("household:g1:1-1-101",)):
    """A targeted demo household of grid with one member."""
    for hh in households(server, grid):
        if hh["_id"] not in skip and len(hh["members"]) == 1 and targeted_by_tags(hh):
            return hh
    raise AssertionError(f"no targeted household of one in {grid}")


class FormFiller:
    """Taps on one campaign form, counted in ``taps``."""

    def __init__(self, page):
        self.page = page
        self.taps = 0

    def question(self, label, nth=0):
        """The nth question container whose label reads exactly ``label``."""
        return self.page.locator(
            f"#engine-host .question-container:has(.control-text label:text-is('{label}'))").nth(nth)

    def choose(self, label, option, nth=0):
        """Tap ``option`` of the nth question ``label`` (one or several choices)."""
        self.question(label, nth).locator(f"label.value-option:has(.text-content:text-is('{option}'))").click()
        self.taps += 1

    def type(self, label, text, nth=0):
        """Tap into the nth question ``label`` and type ``text``."""
        field = self.question(label, nth).locator("input, textarea").first
        field.click()
        self.taps += 1
        field.press_sequentially(str(text))
        field.blur()

    def add_entry(self):
        """Tap the repeat's add button (one more block)."""
        self.page.locator("#engine-host .button-add-instance").click()
        self.taps += 1

    def tap(self, selector):
        """Tap an element of the app around the form (the channel, save)."""
        self.page.click(selector)
        self.taps += 1


def open_form(tablet, hh_id, campaign=CAMPAIGN):
    """The campaign form of household hh_id, drawn by the engine; its filler."""
    tablet.go(f"/campaign/{campaign}/hh/{hh_id}")
    tablet.page.wait_for_selector("#engine-host .odk-form", timeout=60000)
    return FormFiller(tablet.page)


def answers_of(tablet, campaign=CAMPAIGN):
    """The tablet's answer documents of campaign."""
    return [doc for doc in (tablet.local_doc(i) for i in tablet.local_ids() if i.startswith("answer:"))
            if doc and doc.get("campaign") == campaign]


def fill_household_of_two(form, names=("高德明", "李秀兰")):
    """The demo campaign for a household of two, central heating, both members well."""
    form.choose("家中取暖方式", "集中供暖")
    form.choose("室内温度是否适宜", "是")
    form.type("常用药还够用几天", 30)
    form.choose("是否有紧急联系人", "是")
    form.type("联系人姓名", "王建")
    form.choose("与住户关系", "子女")
    form.type("联系电话", "13912345678")
    form.choose("当前需求", "药品")
    form.type("姓名", names[0])
    form.choose("身体状况", "良好")
    form.add_entry()
    form.type("姓名", names[1], nth=1)
    form.choose("身体状况", "良好", nth=1)
    form.choose("已发放一人一专班联系卡 / 爱心告知书", "是")


# What 待办 lists: every row outside the campaigns, and each campaign's
# targeted households still to ask (a grid lists some, counts the rest).
TODO_LISTED = """() => {
  const rows = [...document.querySelectorAll('#view .todo-row')]
    .filter((r) => !r.closest('.campaign-card'));
  const asked = [...document.querySelectorAll('.campaign-grid')]
    .reduce((n, g) => n + Number(g.dataset.total) - Number(g.dataset.done), 0);
  return { rows: rows.length, asked };
}"""


def todo_listed(tablet):
    """What the tablet's 待办 lists: {rows: rows outside campaigns, asked: campaign
    households}."""
    tablet.go("/todo")
    tablet.page.wait_for_selector("#todo-empty, #view .todo-list, .campaign-card")
    return tablet.page.evaluate(TODO_LISTED)


def home_count(tablet):
    """The 待办 count on the tablet's home screen, and the campaign households in it."""
    tablet.go("/")
    card = tablet.page.wait_for_selector("#todo[data-campaigns]")
    count = card.query_selector(".todo-count").inner_text()
    return int(count), int(card.get_attribute("data-campaigns"))


def settled_todo(tablet, campaign=CAMPAIGN):
    """``(home_count(), todo_listed())`` once campaign is on 待办 and two reads
    in a row agree (the first sync may still be indexing documents)."""
    tablet.go("/todo")
    tablet.page.wait_for_selector(f".campaign-card[data-campaign='{campaign}']", timeout=60000)
    last = None
    for _ in range(20):
        now = (home_count(tablet), todo_listed(tablet))
        if now == last:
            return now
        last = now
        tablet.page.wait_for_timeout(500)
    raise AssertionError(f"the home count and 待办 kept changing: {last}")


def set_status_on_console(console, server, status, campaign=CAMPAIGN):
    """Close (status "closed") or reopen ("open") campaign with its button on the
    console's campaigns page, accepting the confirm."""
    console.goto(server.base + "/console/campaigns")
    console.once("dialog", lambda dialog: dialog.accept())
    console.click(f"section.campaign[id='{campaign}'] [data-status-to={status}]")
    console.wait_for_selector(".flash.ok")
