"""The embedded PostgreSQL still starts after a killed process left its handle list empty."""

from __future__ import annotations

import json

from staywell.embedded import repair_handle_list


def test_a_half_written_handle_list_is_reset(tmp_path):
    (tmp_path / ".handle_pids.json").write_text("")
    repair_handle_list(tmp_path)
    assert json.loads((tmp_path / ".handle_pids.json").read_text()) == []


def test_a_sound_handle_list_is_kept(tmp_path):
    (tmp_path / ".handle_pids.json").write_text("[101, 202]")
    repair_handle_list(tmp_path)
    assert json.loads((tmp_path / ".handle_pids.json").read_text()) == [101, 202]
