"""The challenge form's dynamic-scoring fields: grouped and marked as applying to dynamic challenges
only (the script hides them for other types), ignored for other types and validated for dynamic
ones by the same rules as the API."""

from __future__ import annotations

import re

from kizuna.storage import tables as t
from tests.web.test_pages_admin import as_admin, challenge_form, post


def scoring(ctx, name: str) -> tuple:
    with ctx.db.read() as s:
        ch = s.query(t.Challenge).filter(t.Challenge.name == name).one()
        return ch.type, ch.function, ch.value, ch.initial, ch.minimum, ch.decay


def test_the_decay_fields_are_grouped_for_the_script_and_labelled_without_it(client, make):
    as_admin(client, make)
    page = client.get("/admin/challenges/new").text
    assert re.search(r'<select id="f-type" name="type"[^>]*data-challenge-type', page)
    group = page.split("data-dynamic-only>")[1].split("</fieldset>")[0]
    assert "These fields apply to dynamic challenges only." in group
    for key in ("function", "initial", "minimum", "decay"):
        assert f'id="f-{key}"' in group
    assert 'id="f-value"' not in group
    # A dynamic challenge chooses how it decays; "no decay" is the standard type.
    functions = re.findall(r'<option value="(\w+)"', page.split('id="f-function"')[1].split("</select>")[0])
    assert functions == ["logarithmic", "linear"]


def test_a_standard_challenge_ignores_the_decay_fields(client, make, ctx):
    as_admin(client, make)
    form = challenge_form(name="Fixed", value="150", function="linear", initial="abc", minimum="", decay="9")
    r = post(client, "/admin/challenges/new", form)
    assert r.status_code == 303, r.text
    assert scoring(ctx, "Fixed") == ("standard", "static", 150, None, None, None)


def test_a_dynamic_challenge_needs_its_decay_fields_named_in_the_error(client, make, ctx):
    as_admin(client, make)
    form = challenge_form(
        name="Falls", type="dynamic", value="", function="linear", initial="500", minimum=""
    )
    r = post(client, "/admin/challenges/new", form)
    assert r.status_code == 400
    assert re.search(
        r'id="e-decay">Decay: Decaying challenges need initial, minimum and decay values.</p>', r.text
    )
    assert 'value="500"' in r.text and 'value="Falls"' in r.text  # nothing typed is lost
    form.update(minimum="100", decay="lots")
    r = post(client, "/admin/challenges/new", form, headers={"Accept-Language": "ja"})
    assert r.status_code == 400 and re.search(r'id="e-decay">減衰量：整数を入力してください。</p>', r.text)
    form.update(decay="10")
    assert post(client, "/admin/challenges/new", form).status_code == 303
    assert scoring(ctx, "Falls") == ("dynamic", "linear", 500, 500, 100, 10)


def test_changing_a_dynamic_challenge_to_standard_stops_the_decay(client, make, ctx):
    ch = make.challenge(name="Was dynamic", type="dynamic", initial=500, minimum=100, decay=10)
    assert scoring(ctx, "Was dynamic")[:2] == ("dynamic", "logarithmic")
    as_admin(client, make)
    form = challenge_form(
        name="Was dynamic", type="standard", value="300", function="logarithmic", initial="500"
    )
    assert post(client, f"/admin/challenges/{ch.id}", form).status_code == 303
    assert scoring(ctx, "Was dynamic") == ("standard", "static", 300, None, None, None)


def test_a_standard_challenge_given_a_decay_by_the_api_keeps_it(client, make, ctx):
    """The form leaves alone what it does not use, as a partial API update does."""
    ch = make.challenge(name="CTFd style", function="linear", initial=400, minimum=100, decay=20, value=400)
    as_admin(client, make)
    form = challenge_form(name="CTFd style", value="400", function="logarithmic", initial="", decay="")
    assert post(client, f"/admin/challenges/{ch.id}", form).status_code == 303
    assert scoring(ctx, "CTFd style") == ("standard", "linear", 400, 400, 100, 20)
