"""The app lock a tablet applies comes from the server (LOCK_IDLE_SECONDS,
PIN_MAX_TRIES, PIN_LOCKOUT): given at sign-in and with every /api/me, so a
community's change reaches its tablets at their next start online; a value
outside its rule stops the server at start with the setting and the rule named."""

import pytest

from tests.api import PASSWORD, make_field_app


@pytest.mark.parametrize("config, expected", [
    ({}, {"lock_idle_seconds": 300, "pin_max_tries": 5, "pin_lockout": "password"}),
    ({"LOCK_IDLE_SECONDS": 60, "PIN_MAX_TRIES": 3, "PIN_LOCKOUT": "wipe"},
     {"lock_idle_seconds": 60, "pin_max_tries": 3, "pin_lockout": "wipe"}),
])
def test_sign_in_and_me_carry_the_lock_policy(tmp_path, config, expected):
    app = make_field_app(tmp_path, **config)
    client = app.test_client()
    resp = client.post("/api/login", json={"name": "w1", "password": PASSWORD, "device": "平板-07"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["tablet"] == expected
    me = client.get("/api/me", headers={"Authorization": f"Bearer {resp.get_json()['token']}"})
    assert me.get_json()["tablet"] == expected


@pytest.mark.parametrize("config, named", [
    ({"PIN_LOCKOUT": "erase"}, "GRIDVISIT_PIN_LOCKOUT='erase': 须为 password 或 wipe"),
    ({"PIN_MAX_TRIES": 0}, "GRIDVISIT_PIN_MAX_TRIES=0: 须为 1–100 的整数"),
    ({"LOCK_IDLE_SECONDS": 1}, "GRIDVISIT_LOCK_IDLE_SECONDS=1: 须为 5–86400 秒"),
])
def test_a_lock_setting_outside_its_rule_is_refused_naming_it(tmp_path, config, named):
    with pytest.raises(ValueError) as err:
        make_field_app(tmp_path, **config)
    assert named in str(err.value)


def test_answers_with_residents_data_are_never_stored_by_a_browser(tmp_path):
    app = make_field_app(tmp_path)
    client = app.test_client()
    body = client.post("/api/login", json={"name": "w1", "password": PASSWORD,
                                           "device": "平板-07"}).get_json()
    bearer = {"Authorization": f"Bearer {body['token']}"}
    answers = [client.get("/api/me", headers=bearer),
               client.get("/couch/field/_all_docs?include_docs=true", headers=bearer),
               client.get("/couch/field/household:g9:1", headers=bearer),      # a 404 too
               client.post("/api/login", json={"name": "w1", "password": "wrong"})]
    assert [a.headers.get("Cache-Control") for a in answers] == ["no-store"] * 4
    assert [a.status_code for a in answers] == [200, 200, 404, 401]
