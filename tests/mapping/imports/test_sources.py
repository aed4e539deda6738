"""The source an import records: a preset's, changed by what the import was told."""

from __future__ import annotations

import pytest

from mapping.disclosure.provenance import answer_license, installation
from mapping.errors import InvalidInput
from mapping.imports.presets import PRESET_SOURCES
from mapping.imports.sources import GHANA_HEALTH_FACILITIES, source_from
from mapping.storage.sources import Source


def test_the_eea_preset_credits_the_eea_under_cc_by():
    eea = source_from(PRESET_SOURCES["eea-litterwatch"])
    assert eea is not None
    assert (eea.id, eea.title, eea.license) == (
        "eea-litterwatch",
        "EEA Marine LitterWatch",
        "CC-BY-4.0",
    )
    assert eea.credit == "© European Environment Agency (EEA)"


def test_what_an_import_is_told_changes_the_preset():
    told = source_from(PRESET_SOURCES["eea-litterwatch"], id="eea-2023", license="not stated")
    assert told is not None and (told.id, told.license) == ("eea-2023", None)
    assert told.credit == "© European Environment Agency (EEA)"


def test_a_known_id_brings_its_record_and_an_unknown_one_states_no_licence():
    assert source_from(None, id="ghana-health-facilities") == GHANA_HEALTH_FACILITIES
    assert GHANA_HEALTH_FACILITIES.license is None
    assert source_from(None, id="walk") == Source("walk", "walk")
    assert source_from(None) is None


@pytest.mark.parametrize("given", [{"id": "Bad Id"}, {"id": "civicmap"}, {"title": "no id"}])
def test_a_source_that_cannot_be_recorded_is_refused(given):
    with pytest.raises(InvalidInput):
        source_from(None, **given)


def test_an_answer_has_one_licence_only_when_its_sources_share_it():
    citizen = installation("CC0-1.0")
    eea = PRESET_SOURCES["eea-litterwatch"]
    assert answer_license([], installation_license="CC0-1.0") == "CC0-1.0"
    assert answer_license([citizen], installation_license="CC0-1.0") == "CC0-1.0"
    assert answer_license([eea], installation_license="CC0-1.0") == "CC-BY-4.0"
    assert answer_license([citizen, eea], installation_license="CC0-1.0") == "see sources"
    ghana = GHANA_HEALTH_FACILITIES
    assert answer_license([ghana], installation_license="CC0-1.0") == "see sources"
