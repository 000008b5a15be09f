"""The adapters to Jupyter internals (workbook.jupyter_compat, workbook.server) against the upstream code they copy.

Each adapter was written against one release of nbconvert, nbclient, papermill, voila,
jupyter_client, jupyter_server or jsonschema. An upgrade that changes the code an adapter copies,
patches or relies on fails here, naming the adapter to re-check; once it is re-checked (and fixed
if needed), record the new hash below and raise the cap in pyproject.toml.
"""
from __future__ import annotations

import importlib

import pytest

from workbook.jupyter_compat import UPSTREAM, VOILA_CDN_LINKS, Upstream

#: SHA-256 of each upstream piece's source, as installed when its adapter was last checked.
RECORDED = {
    "nbconvert's HTMLExporter.from_notebook_node":
        "3dccafff45cc4e749766089c7de2f5385ac071e03f4f5a15bfb3b025f54893b9",
    "nbconvert's HTMLExporter._init_resources":
        "77315220264ba251652a56ebeb845fd156a1d96f147f82ef968b688e65d5f57f",
    "nbconvert's Exporter.from_notebook_node (fills _nb_metadata)":
        "dd4bc38b68b25acbd9e5118e88fdd395bc8468d6e1901fc6ef5c61b4199e584e",
    "nbconvert's lab template block html_head_js_requirejs":
        "51f150dc1c961a6cb6d92e4f330a0e4b52e8486593e1b2ff0e2815becf9302ea",
    "nbconvert's lab template block html_head_js_mathjax":
        "763dd5adb58bd71bed3255ae7c34fa127abc9747f019effdcd24dada2d3e89dd",
    "nbconvert's lab template block html_head_js_mermaidjs":
        "8a5b84b6789aad87f5ec0008219e32d67c49baad76d1507bf81f5027334956ef",
    "nbconvert's lab template block data_png":
        "8fd7e69256eeba5a0cfdc08a5df2e76de54752aae3d70a50290b1d2480684c8d",
    "papermill's NBClientEngine.execute_managed_notebook":
        "5db3562c458aeaaa7940de795886d76054ddb6b04dcf37a97238b07cfb7432d8",
    "papermill's PapermillNotebookClient.execute":
        "90490e78ff6ca002a9ffd8ff7d9f1d4aa36e652f894dce4272c5215de6ae5d7a",
    "nbclient's NotebookClient.async_setup_kernel":
        "189461fd8c55187bc5058966cae938d78eabab4833798cd733290af0b9c99fc5",
    "jupyter_client's KernelManager._async_cleanup_resources":
        "452cfe631cd012d2fcce09c821f4c6016d94d99a24a9b800fe742bc09923d07b",
    "jsonschema's optional rfc3987_syntax import":
        "625637ce93a87fc908f42b13e301cacb9185723ece5c1e10a8892ccd8ae44a9f",
    "voila's lab template block notebook_css":
        "09c64de56ff777740653f43cdb19e3bc0abbf77304ab7bb53e394b075e05885a",
    "voila's lab template block html_head_js_mathjax":
        "b68676075e6d7a8e3c8dccdb95194d8ee4d6a54aec12633bd2074d5f0f8a4702",
    "voila's Voila.init_settings":
        "a4f141db9e83a9a023d720f01077911dd1c22196bd1ee6820ad435bcc242d8be",
    "voila's Voila.init_handlers":
        "55efb018eac51cbeb5791343e192d429169ffb44b3224149d392f680a86ea2b7",
    "voila's VoilaHandler.get_generator":
        "27a6722a90264f6c460529b72361ed6e5eca3d357281f84e1b91f0bcf52e37a8",
    "voila's TornadoVoilaHandler.get":
        "07378f0450812cf810761655f8910f79a9af8798be2da8a41b6cbd2d5b5cdb90",
    "voila's VoilaKernelWebsocketHandler":
        "e8a869f55e4fdb298bfb9b2d43b98c5f8bf8cbe7d25615418f9231b9088dbc3f",
    "jupyter_server's KernelHandler":
        "ff7203cf24b7621da1f9fba1382c5cb6d938821deb2a6b0ce65d0d055950e18a",
    "voila's VoilaShutdownKernelHandler":
        "1d5d3470e85f427cde1892ba76b1954a9a51c404f3bab04bcc8f125714938bd1",
    "voila's TemplateStaticFileHandler":
        "8b5cea90bd04b32af22167d2f1407ca0731ce12035454ccf1e0a28461ff20d84",
    "voila's RequestInfoSocketHandler":
        "11c3bfb933b934fad81c3b51a4a0b3801a4ac414a4b49f96e85622d64a792a71",
    "voila's wait_for_request":
        "f94198d516e925d3b39c3f7c8a4e8500ff98cac057d5e6aa2e99fc6c0d459db1",
    "voila's voila_kernel_manager_factory (the preheated kernel pool)":
        "5e28ac2d11a0637e56192b7f6412723a4e6c6368baebe3d20c8fe46d527b0c3b",
    "voila's lab template block body_footer (loads voila.js)":
        "b82a2f2a03c28b2e1d030d083615621c7760be9832403e849750024bcc24b182",
    "jupyter_server's MappingKernelManager.start_watching_activity":
        "4de25ab45ea55f6583d2ec48ee1c8ad909cb6beda80e5b87e2716f0dd59f64cb",
}


@pytest.mark.parametrize("upstream", UPSTREAM, ids=[u.name for u in UPSTREAM])
def test_upstream_code_is_what_the_adapter_was_written_against(upstream: Upstream) -> None:
    assert upstream.source(), f"{upstream.name} is gone: re-check {upstream.adapter} against the new release"
    assert upstream.digest() == RECORDED.get(upstream.name), (
        f"{upstream.name} changed: re-check {upstream.adapter} against it, then update the hash")


def test_every_upstream_piece_has_a_recorded_hash_and_names_a_real_adapter() -> None:
    assert sorted(RECORDED) == sorted(u.name for u in UPSTREAM)
    for u in UPSTREAM:
        module, _, attr = u.adapter.rpartition(".")
        if attr == "server":  # the Voila adapter is a module of its own
            module, attr = u.adapter, ""
        found = importlib.import_module(module)
        assert not attr or hasattr(found, attr), f"{u.adapter} (the adapter for {u.name}) does not exist"


def test_the_voila_links_we_strip_are_the_ones_voila_ships() -> None:
    """The offline template removes Voila's CDN stylesheets by exact markup: a changed tag would stay in."""
    block = next(u for u in UPSTREAM if u.name == "voila's lab template block notebook_css").source()
    assert all(link in block for link in VOILA_CDN_LINKS)


def test_the_report_exporter_skips_the_soup_pass_and_the_cdn_scripts() -> None:
    """ReportExporter's page is HTMLExporter's without the tab-stop rewrite and without CDN scripts."""
    import nbformat
    from nbconvert import HTMLExporter

    from workbook.reports.export import notebook_html

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"),
                                         nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output(
                                             "display_data", {"text/html": "<p>shown</p>", "text/plain": "shown"})])])
    ours = notebook_html(nb, "t")
    theirs, _ = HTMLExporter(template_name="lab", exclude_input=True).from_notebook_node(nb)
    assert "<p>shown</p>" in ours and "<p>shown</p>" in theirs
    assert 'tabindex="0"' in theirs and 'tabindex="0"' not in ours  # the BeautifulSoup pass did not run
    assert "require.min.js" in theirs and "require.min.js" not in ours
