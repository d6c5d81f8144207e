"""Admin pages a person can use: grids and parents chosen from lists, not
typed; devices of the same name told apart; a form's problem shown on its
page naming the field, not as a bare 400 page."""

import re

from tests.api import PASSWORD
from tests.console_client import browser_for, console_app  # noqa: F401


def test_places_are_chosen_from_lists(console_app):
    page = browser_for(console_app, "admin").text("/console/admin/grids")
    place = page.split('id="assign-place"')[1].split("</select>")[0]
    assert '<option value="g1">g1 (g1 · 史家社区)</option>' in place
    assert '<option value="c2">演乐社区 (c2)</option>' in place
    parent = page.split('id="place-parent"')[1].split("</select>")[0]
    assert '<option value="c1">史家社区 (c1)</option>' in parent
    assert '<option value="s">朝阳门街道 (s)</option>' in parent
    assert 'name="place" required size' not in page


def test_a_forms_problem_is_shown_on_its_page_naming_the_field(console_app):
    admin = browser_for(console_app, "admin")
    resp = admin.post("/console/admin/users", {"name": "w8", "role": "worker",
                                               "password": "short"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="new-user"' in body
    assert re.search(r'class="flash error"[^>]*>password: 至少 10 个字符', body)
    resp = admin.post("/console/admin/assignments", {"user": "w1", "kind": "grid",
                                                     "place": "nowhere"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="assign-form"' in body and "flash error" in body
    resp = admin.post("/console/admin/places", {"kind": "grid", "id": "bad id!",
                                                "name": "x", "parent": "c1"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="place-form"' in body
    assert re.search(r'class="flash error"[^>]*>id: ', body)


def test_devices_of_the_same_name_are_told_apart(console_app):
    api = console_app.test_client()
    ids = [api.post("/api/login", json={"name": "w1", "password": PASSWORD,
                                        "device": "平板"}).get_json()["token_id"]
           for _ in range(2)]
    page = browser_for(console_app, "s1").text("/console/devices")
    for token_id in ids:
        row = page.split(f'data-id="{token_id}"')[1].split("</tr>")[0]
        assert f"#{token_id}" in row and "同名设备" in row
