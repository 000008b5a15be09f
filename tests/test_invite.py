"""Personal links (invite / revoke / expiry) and the Voila command `workbook serve` builds."""
from __future__ import annotations

import csv
import datetime as dt
import json
import stat
import urllib.parse
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbook import Store, access, import_cohort
from workbook.cli import main
from workbook.errors import ConfigError, NotFoundError, ValidationError
from workbook.forms import page
from workbook.invite import create_links, form_url, revoke_links, write_links_csv
from workbook.jupyter_compat import VOILA_CDN_LINKS as CDN_LINKS
from workbook.serve import ServeOptions, voila_command, voila_config, voila_environment, write_config

ROOT = Path(__file__).resolve().parent.parent


def key_of(url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)[access.LINK_PARAMETER][0]


def test_links_for_every_member_and_only_hashes_stored(example: Store) -> None:
    invs = create_links(example, "example", base_url="https://forms.example.org/wb/")
    members = example.find_members("example")
    assert {i.person_id for i in invs} == {m.person_id for m in members}
    p = next(i for i in invs if i.role == "participant")
    assert set(p.links) == {"home", "reflection", "checkin", "retro", "journal", "reports"}
    # The first link is the member's home page, for every role.
    assert all(next(iter(i.links)) == "home" and i.url == i.links["home"] for i in invs)
    assert p.url == f"https://forms.example.org/wb/voila/render/home.ipynb?key={p.key}"
    assert p.links["reflection"] == (f"https://forms.example.org/wb/voila/render/reflection.ipynb"
                                     f"?key={p.key}&exercise=gibbs")
    assert all(key_of(u) == p.key for u in p.links.values())
    f = next(i for i in invs if i.role == "facilitator")
    assert "participation" in f.links
    assert access.authenticate(example, p.key).person_id == p.person_id
    # The key itself is nowhere in the database, only its hash.
    from tests.conftest import dump

    everything = json.dumps(dump(example))
    assert p.key not in everything and access.hash_token(p.key) in everything


def test_role_filter_and_reinvite_adds_a_link(example: Store) -> None:
    first = create_links(example, "example", role="coach")
    assert first and all(i.role == "coach" for i in first)
    again = create_links(example, "example", people=[first[0].person_id])
    assert [i.person_id for i in again] == [first[0].person_id]
    # Inviting again adds a link: the earlier one keeps working (revoking is explicit).
    assert access.authenticate(example, first[0].key).person_id == first[0].person_id
    assert access.authenticate(example, again[0].key).person_id == first[0].person_id
    assert access.authenticate(example, first[1].key)  # others are untouched
    assert revoke_links(example, "example", first[0].person_id) == 2
    for key in (first[0].key, again[0].key):
        with pytest.raises(access.AccessDenied):
            access.authenticate(example, key)
    assert access.authenticate(example, first[1].key)


def test_inviting_to_a_new_exercise_keeps_the_earlier_links(example: Store) -> None:
    [gibbs] = create_links(example, "example", people=["p01"])
    [checkin] = create_links(example, "example", people=["p01"], exercise="mentorship-checkin")
    retro = example.add_session("example", "4ls", facilitator_id="f01")
    [board] = create_links(example, "example", people=["p01"], session_id=retro.id)
    for inv in (gibbs, checkin, board):
        assert access.authenticate(example, inv.key).person_id == "p01"
    assert len({gibbs.key, checkin.key, board.key}) == 3


def test_role_with_person_is_a_filter_not_ignored(example: Store) -> None:
    from tests.conftest import dump

    before = dump(example)
    with pytest.raises(ValidationError, match="p01 is a participant"):
        create_links(example, "example", role="coach", people=["c01", "p01"])
    assert dump(example) == before  # nobody got a link
    [inv] = create_links(example, "example", role="coach", people=["c01"])
    assert inv.role == "coach" and inv.person_id == "c01"


def test_revoke_and_expiry(example: Store) -> None:
    [inv] = create_links(example, "example", people=["p01"], expires_days=7)
    assert inv.expires_at is not None
    left = inv.expires_at.replace(tzinfo=inv.expires_at.tzinfo or dt.timezone.utc) - access.utcnow()
    assert dt.timedelta(days=6, hours=23) < left <= dt.timedelta(days=7)
    assert revoke_links(example, "example", "p01") == 1
    with pytest.raises(access.AccessDenied):
        access.authenticate(example, inv.key)
    assert revoke_links(example, "example", "p01") == 0
    with pytest.raises(NotFoundError):
        revoke_links(example, "example", "nobody")
    # An expired key fails like any other bad key.
    expired = access.issue_token(example, "example", "p02", expires_in=dt.timedelta(seconds=-5))
    with pytest.raises(access.AccessDenied):
        access.authenticate(example, expired)


def test_bad_arguments_change_nothing(example: Store) -> None:
    [inv] = create_links(example, "example", people=["p01"])
    for kwargs in ({"base_url": "forms.example.org"}, {"expires_days": 0}, {"exercise": "no-such"},
                   {"role": "boss"}):
        with pytest.raises((ConfigError, ValidationError, NotFoundError)):
            create_links(example, "example", **kwargs)  # type: ignore[arg-type]
    assert access.authenticate(example, inv.key).person_id == "p01"


def test_no_links_for_a_member_who_left(example: Store) -> None:
    from dataclasses import replace

    member = example.get_membership("example", "p02")
    example.save_members("example", [replace(member, active=False)])
    with pytest.raises(ValidationError, match="p02"):
        create_links(example, "example", people=["p01", "p02"])


def test_session_links(example: Store) -> None:
    s = example.add_session("example", "kolb", facilitator_id="f01")
    [inv] = create_links(example, "example", people=["p01"], session_id=s.id)
    assert inv.links["reflection"].endswith(f"&session={s.id}")
    # A retro session (or a check-in exercise) goes on the link of its own form, which shows it;
    # on the reflection link it would only show "this link opens a reflection form".
    retro = example.add_session("example", "4ls", facilitator_id="f01")
    [inv] = create_links(example, "example", people=["p01"], session_id=retro.id)
    assert inv.links["retro"].endswith(f"&session={retro.id}")
    assert "session=" not in inv.links["reflection"]
    pg = page("retro", urllib.parse.urlsplit(inv.links["retro"]).query, store=example)
    assert pg.form is not None and pg.form.session_id == retro.id
    [inv] = create_links(example, "example", people=["p01"], exercise="mentorship-checkin")
    assert inv.links["checkin"].endswith("&exercise=mentorship-checkin")
    assert inv.links["reflection"].endswith("&exercise=gibbs")
    for kind in ("checkin", "reflection"):
        assert page(kind, urllib.parse.urlsplit(inv.links[kind]).query, store=example).form is not None
    assert form_url("http://h:1", "journal", "K") == "http://h:1/voila/render/journal.ipynb?key=K"


def test_links_csv_is_private(example: Store, tmp_path: Path) -> None:
    invs = create_links(example, "example", role="participant")
    out = tmp_path / "links" / "links.csv"
    rows = write_links_csv(invs, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open() as fh:
        read = list(csv.DictReader(fh))
    assert len(read) == rows == 6 * len(invs)
    assert {r["page"] for r in read} == {"home", "reflection", "checkin", "retro", "journal", "reports"}


def test_cli_invite_and_revoke(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'wb.db'}"
    store = Store(db)
    import_cohort(store, ROOT / "cohorts" / "example")
    runner = CliRunner()
    out = tmp_path / "links.csv"
    res = runner.invoke(main, ["--db", db, "invite", "example", "--role", "participant", "--out", str(out),
                               "--base-url", "http://10.0.0.5:8866", "--expires", "14"])
    assert res.exit_code == 0, res.output
    assert "written to" in res.output and "key=" not in res.output
    with out.open() as fh:
        first = next(r for r in csv.DictReader(fh) if r["person_id"] == "p01")
    assert first["url"].startswith("http://10.0.0.5:8866/voila/render/") and first["expires_at"]
    key = key_of(first["url"])
    assert access.authenticate(store, key).person_id == "p01"
    res = runner.invoke(main, ["--db", db, "invite", "example", "--revoke", "p01"])
    assert res.exit_code == 0 and "Revoked 1" in res.output
    with pytest.raises(access.AccessDenied):
        access.authenticate(store, key)
    res = runner.invoke(main, ["--db", db, "invite", "example", "--person", "p02"])
    assert res.exit_code == 0 and "key=" in res.output and "not be shown again" in res.output
    lines = [line.split() for line in res.output.splitlines() if "key=" in line]
    assert lines[0][0] == "home" and "/voila/render/home.ipynb?key=" in lines[0][1]
    res = runner.invoke(main, ["--db", db, "invite", "example", "--person", "p01", "--role", "coach"])
    assert res.exit_code != 0 and res.output.startswith("Error:") and "p01 is a participant" in res.output
    res = runner.invoke(main, ["--db", db, "invite", "nope"])
    assert res.exit_code != 0 and "Traceback" not in res.output and "nope" in res.output
    store.close()


def test_voila_command_is_hardened(tmp_path: Path) -> None:
    opts = ServeOptions(port=9123, db_url=str(tmp_path / "wb.db"))
    cmd = voila_command(opts, tmp_path)
    joined = " ".join(cmd)
    assert cmd[1:3] == ["-m", "workbook.server"] and cmd[3] == str((ROOT / "src" / "workbook" / "notebooks" / "forms").resolve())
    for part in ("--port=9123", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--show_tracebacks=False",
                 "--MappingKernelManager.cull_connected=True", "--KernelManager.transport=ipc",
                 f"--Voila.config_file_paths={tmp_path}", "--template=workbook"):
        assert part in cmd
    assert "--MappingKernelManager.cull_idle_timeout=3600" in cmd and "--MappingKernelManager.cull_interval=60" in cmd
    timeout = int(next(c for c in cmd if c.startswith("--VoilaExecutor.iopub_timeout=")).split("=")[1])
    assert timeout >= 60
    assert "preheat" not in joined and "expect" not in joined
    warm = voila_command(ServeOptions(expect=50, release_after=600))
    assert "--WorkbookVoila.expect=50" in warm and "--WorkbookVoila.warm_release_after=600" in warm
    cfg = voila_config(opts)
    assert cfg["VoilaConfiguration"] == {"file_allowlist": [], "file_denylist": [".*"]}
    assert cfg["Voila"]["tornado_settings"]["websocket_max_message_size"] > 10 * 1024 * 1024
    # Links carry the key: the browser must not hand the URL to another site as a Referer.
    assert cfg["Voila"]["tornado_settings"]["headers"]["Referrer-Policy"] in ("same-origin", "no-referrer")


def test_kernels_get_an_absolute_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = voila_environment(ServeOptions(db_url="data/wb.db"), tmp_path, base={"JUPYTER_PATH": "/x"})
    assert env["WORKBOOK_DB_URL"] == f"sqlite:///{tmp_path / 'data' / 'wb.db'}"
    assert env["JUPYTER_PATH"].split(":")[0] == str(tmp_path)
    pg = "postgresql+psycopg://u:secret@db/wb"
    assert voila_environment(ServeOptions(db_url=pg), base={})["WORKBOOK_DB_URL"] == pg


def test_database_inside_the_served_folder_is_refused(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    with pytest.raises(ConfigError, match="inside the served folder"):
        ServeOptions(db_url=str(forms / "wb.db"), forms_dir=forms).resolved_db_url()
    with pytest.raises(ConfigError, match="in-memory"):
        ServeOptions(db_url="sqlite://").resolved_db_url()


def test_template_drops_the_cdn_stylesheets(tmp_path: Path) -> None:
    write_config(tmp_path, ServeOptions())
    template = (tmp_path / "voila" / "templates" / "workbook" / "index.html.j2").read_text()
    base = (ROOT / ".venv" / "share" / "jupyter" / "voila" / "templates" / "lab" / "index.html.j2")
    if base.exists():  # the strings we strip must be the ones Voila ships
        shipped = base.read_text()
        assert all(link in shipped for link in CDN_LINKS)
    assert "extends 'lab/index.html.j2'" in template and "replace" in template
    assert json.loads((tmp_path / "voila.json").read_text())["VoilaConfiguration"]["file_denylist"] == [".*"]
    # No prelaunch hook: the gate in workbook.server works with warm (preheated) kernels too.
    assert not (tmp_path / "voila.py").exists()


def test_form_notebooks_are_clean_and_thin() -> None:
    import nbformat

    for kind in ("reflection", "checkin", "retro", "journal", "participation"):
        nb = nbformat.read(ROOT / "src" / "workbook" / "notebooks" / "forms" / f"{kind}.ipynb", as_version=4)
        assert all(c.cell_type == "code" for c in nb.cells)
        assert all(not c.outputs and c.execution_count is None for c in nb.cells)
        last = nb.cells[-1].source  # the generic page, or the page's own entry point (retro_page)
        assert f'page("{kind}", query_string())' in last or f'{kind}_page(query_string())' in last
        assert sum(len(c.source.splitlines()) for c in nb.cells) <= 6


@pytest.mark.slow
def test_serve_runs_the_forms_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    import signal
    import subprocess

    import psutil

    from tests.browser_support import Server, free_port, kernel_pids, server_env, wait_for_port

    db = f"sqlite:///{tmp_path / 'data' / 'wb.db'}"
    store = Store(db)
    import_cohort(store, ROOT / "cohorts" / "example")
    key = access.issue_token(store, "example", "p01")
    store.close()
    port = free_port()
    exe = str(Path(__import__("sys").executable).parent / "workbook")
    proc = subprocess.Popen([exe, "serve", "--port", str(port)], env=server_env(tmp_path, db), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        import urllib.request

        html = urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/render/journal.ipynb?key={key}",
                                      timeout=60).read().decode()
        assert "widget-view+json" in html and "Traceback" not in html
        kernels = [psutil.Process(pid) for pid in kernel_pids(Server(proc, port, tmp_path / "unused.log"))]
        assert kernels
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert b"Stopped." in out and b"Kernel shutdown" in out
        _, alive = psutil.wait_procs(kernels, timeout=10)

        def running(k: psutil.Process) -> bool:  # a zombie or a process gone while we look is not running
            try:
                return k.status() != psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                return False

        assert not [k for k in alive if running(k)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
