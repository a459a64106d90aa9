"""The demo (`python -m rheobase.demo`) and the tutorial example run as a user would run them."""

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _env(tmp_path):
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    env["TMPDIR"] = str(tmp_path)  # the tutorial writes its files under tempfile.mkdtemp()
    return env


def test_demo_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "x.png"
    proc = subprocess.run([sys.executable, "-m", "rheobase.demo", "--out", str(out)], cwd=tmp_path,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert out.exists() and out.stat().st_size > 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "tutorial run (0.9 nA): 1 spike(s)" in proc.stdout
    assert "figure written to" in proc.stdout


def test_demo_without_matplotlib_still_runs(tmp_path):
    # A sitecustomize-free way to hide matplotlib: a module named matplotlib that fails to import.
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "matplotlib.py").write_text("raise ImportError('hidden for the test')\n")
    env = _env(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join([str(fake)] + [p for p in [env.get("PYTHONPATH")] if p])
    out = tmp_path / "y.png"
    proc = subprocess.run([sys.executable, "-m", "rheobase.demo", "--out", str(out)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "spike(s)" in proc.stdout
    assert "matplotlib is not installed" in proc.stderr
    assert not out.exists()


def test_tutorial_example_runs(tmp_path):
    script = ROOT / "examples" / "tutorial.py"
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stderr
    assert "rheobase version:" in proc.stdout
    assert "simulated 1601 time points" in proc.stdout
    assert "amp = 0.9 nA: peak v =   36.96 mV, 1 spike(s)" in proc.stdout
    outdirs = list(tmp_path.glob("rheobase_tutorial_*"))
    assert len(outdirs) == 1
    written = {p.name for p in outdirs[0].iterdir()}
    assert {"data.csv", "data.json", "data.p", "amplitudes.json"} <= written
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    for png in ("v.png", "amplitudes.png"):
        assert (outdirs[0] / png).stat().st_size > 0
