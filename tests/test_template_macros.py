"""The shared list-filter, summary-row and table macros in templates/_macros/."""

import re

from flask import render_template_string


def render(app, source: str, **context) -> str:
    with app.test_request_context():
        html = app.jinja_env.from_string(source).render(**context)
    return re.sub(r"\s+", " ", html).strip()


def test_a_filter_select_is_labelled_and_marks_the_current_value(app):
    html = render(
        app,
        '{% from "_macros/filters.html" import filter_select %}'
        '{{ filter_select("area", "Area", areas, "leeds", any="Any area", fold_case=True) }}',
        areas=["Leeds", "York"],
    )
    assert '<label class="nhsuk-label" for="area">Area</label>' in html
    assert '<select class="nhsuk-select" id="area" name="area">' in html
    assert '<option value="">Any area</option>' in html
    assert '<option value="Leeds" selected>Leeds</option>' in html
    assert '<option value="York">York</option>' in html


def test_a_filter_select_reads_objects_counts_and_extra_options(app):
    class Fellowship:
        def __init__(self, id, name):
            self.id, self.name = id, name

    html = render(
        app,
        '{% from "_macros/filters.html" import filter_select %}'
        '{{ filter_select("fellowship", "Fellowship", items, 2, value_key="id", text_key="name") }}'
        '{{ filter_select("action", "Next action", {"call": "Call"}, "all", counts={"call": 3},'
        ' more=[("all", "Every case")]) }}',
        items=[Fellowship(1, "AA"), Fellowship(2, "NA")],
    )
    assert '<option value="2" selected>NA</option>' in html
    assert '<option value="call">Call (3)</option>' in html
    assert '<option value="all" selected>Every case</option>' in html


def test_the_filter_form_narrows_to_its_results(app):
    html = render(
        app,
        '{% from "_macros/filters.html" import filter_form %}'
        '{% call filter_form("/list", "list-results", "Filter", typing=["q"]) %}{% endcall %}',
    )
    assert 'hx-target="#list-results" hx-select="#list-results"' in html
    assert 'hx-trigger="input changed delay:300ms from:#q, change from:select, submit"' in html
    assert 'type="submit">Filter</button>' in html


def test_a_summary_row_with_a_change_link(app):
    html = render(
        app,
        '{% from "_macros/summary.html" import summary_row, action_link %}'
        '{{ summary_row("Phone", "0113", id="phone",'
        ' action=action_link("/edit", "Change", "phone")) }}',
    )
    assert html == (
        '<div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Phone</dt>'
        '<dd class="nhsuk-summary-list__value" id="phone">0113</dd>'
        '<dd class="nhsuk-summary-list__actions"><a href="/edit">Change'
        '<span class="nhsuk-u-visually-hidden"> phone</span></a></dd></div>'
    )


def test_a_table_has_its_caption_and_headers(app):
    html = render(
        app,
        '{% from "_macros/table.html" import table %}'
        '{% call table("Goals", ["Goal", ("How many", "numeric"), ("Actions", "hidden")]) %}'
        "<tr></tr>{% endcall %}",
    )
    assert '<caption class="nhsuk-table__caption nhsuk-u-visually-hidden">Goals</caption>' in html
    assert 'class="nhsuk-table__header nhsuk-table__header--numeric">How many</th>' in html
    assert '<span class="nhsuk-u-visually-hidden">Actions</span>' in html
    assert "<tr></tr>" in html


def test_filter_buttons_offer_to_clear_only_a_narrowed_list(app):
    source = (
        '{% from "_macros/filters.html" import filter_buttons %}'
        '{{ filter_buttons("Search", href, "Clear the filters") }}'
    )
    narrowed = render(app, source, href="/list")
    assert 'class="nhsuk-button nhsuk-button--secondary" type="submit">Search</button>' in narrowed
    assert '<a class="nhsuk-link" href="/list">Clear the filters</a>' in narrowed
    assert "Clear the filters" not in render(app, source, href=None)


def test_a_blank_table_has_a_column_for_each_heading_and_empty_rows(app):
    html = render(
        app,
        '{% from "clients/handout_macros.html" import blank_table %}'
        '{{ blank_table("People I can call", ["Name", "Phone number"], rows=3) }}',
    )
    assert '<caption class="nhsuk-table__caption">People I can call</caption>' in html
    assert html.count('<th scope="col" class="nhsuk-table__header">') == 2
    assert html.count('<td class="nhsuk-table__cell"></td>') == 6


def test_a_list_page_heads_itself_with_its_title_and_actions(app):
    with app.test_request_context():  # the whole page: base.html reads the context processors
        html = render_template_string(
            '{% extends "_layouts/list_page.html" %}{% block title %}Fellowships{% endblock %}'
            '{% block actions %}<a href="/new">Add</a>{% endblock %}'
            "{% block main %}<p>x</p>{% endblock %}"
        )
    html = re.sub(r"\s+", " ", html)
    assert (
        '<div class="portal-button-row"> <h1 class="nhsuk-u-margin-bottom-3">Fellowships</h1>'
        ' <a href="/new">Add</a> </div> <p>x</p>'
    ) in html
