"""Command-line behaviours: output dirs, stale files, diff, boards, crashes."""

import shutil

from vanity_testlib import REPO, vanity

PINGPONG = "examples/pingpong/pingpong.yaml"


def test_check_ok():
    proc = vanity("check", PINGPONG)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        0, f"{PINGPONG}: ok (2 shards, 2 channels)\n", "")


def test_gen_removes_stale_files(tmp_path):
    (tmp_path / "shards/old").mkdir(parents=True)
    (tmp_path / "shards/old/config.c").write_text("stale\n")
    assert vanity("gen", PINGPONG, "-o", tmp_path).returncode == 0
    assert not (tmp_path / "shards/old").exists()
    assert (tmp_path / "shards/ping/config.c").is_file()


def test_diff_shows_changes(tmp_path):
    out = REPO / "out/pingpong/hosted"
    saved = tmp_path / "saved"
    shutil.copytree(out, saved)
    try:
        (out / "report.txt").write_text("edited\n")
        (out / "extra.txt").write_text("extra\n")
        (out / "shards/pong/shard.ld").unlink()
        proc = vanity("diff", PINGPONG)
        assert proc.returncode == 1
        assert "--- a/out/pingpong/hosted/report.txt\n+++ b/out/pingpong/hosted/report.txt" \
            in proc.stdout
        assert "--- a/out/pingpong/hosted/extra.txt\n+++ /dev/null" in proc.stdout
        assert "--- /dev/null\n+++ b/out/pingpong/hosted/shards/pong/shard.ld" in proc.stdout
    finally:
        shutil.rmtree(out)
        shutil.copytree(saved, out)


def test_board_without_port(tmp_path):
    for cmd in ("gen", "build", "run", "diff"):
        proc = vanity(cmd, PINGPONG, "--board", "qemu-virt-aarch64")
        assert proc.returncode == 1
        assert proc.stderr == ("vanity: error: board 'qemu-virt-aarch64' has no port yet; "
                               "boards with a port: hosted\n")


def test_internal_error_is_not_a_traceback(tmp_path, monkeypatch, capsys):
    import generator.cli as cli

    def boom(*_):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "render", boom)
    assert cli.main(["gen", str(REPO / PINGPONG), "-o", str(tmp_path)]) == 70
    assert capsys.readouterr().err == "vanity: internal error: RuntimeError: boom\n"


def test_missing_clang_format(tmp_path, monkeypatch, capsys):
    import generator.render as render
    monkeypatch.setattr(render.shutil, "which", lambda _: None)
    import generator.cli as cli
    assert cli.main(["gen", str(REPO / PINGPONG), "-o", str(tmp_path)]) == 1
    assert "clang-format is not installed" in capsys.readouterr().err


def test_warning_does_not_fail(tmp_path):
    spec = tmp_path / "w.yaml"
    (tmp_path / "a.c").write_text("")
    spec.write_text("vanity: 1\nsystem: w\nshards:\n"
                    "  - {name: a, sources: [a.c], mode: poll, spin: 5us}\n")
    proc = vanity("check", spec, cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stderr == (f"{spec}:4:49: warning: shard 'a': spin has no effect on a "
                           "poll shard, which always spins\n")
