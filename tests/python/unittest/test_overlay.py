"""The overlay mounts the fork without touching the base wheel."""
import os
import subprocess
import sys

import tvm


def test_relay_is_the_forks_and_te_topi_are_the_bases():
    from tvm import relay, te, topi

    import tvmfork

    root = tvmfork.overlay_root()
    assert os.path.dirname(relay.__file__) == os.path.join(root, "relay")
    base_root = os.path.dirname(tvm.__file__)
    assert te.__file__.startswith(base_root)
    assert topi.__file__.startswith(base_root)


def test_fresh_interpreter_imports_the_fork():
    code = (
        "import tvm; from tvm import relay, te, topi; "
        "import tvmfork; print(relay.__file__.startswith(tvmfork.overlay_root()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    assert "Failed to autoload" not in out.stderr


def test_overlay_never_shadows_base_modules():
    import tvmfork

    root = tvmfork.overlay_root()
    base_root = os.path.dirname(tvm.__file__)
    all_mounted = tvmfork.overlay.MOUNTED_PACKAGES + tvmfork.overlay.LAZY_MOUNTED_PACKAGES
    mounted_packages = [name.split(".", 1)[1] for name in all_mounted if "." in name]
    for package in [""] + mounted_packages:
        fork_dir = os.path.join(root, package)
        base_dir = os.path.join(base_root, package)
        if not os.path.isdir(fork_dir):
            continue
        # the mounted packages themselves are meant to be on both sides
        mounted = set(mounted_packages) if package == "" else set()
        fork_entries = {e for e in os.listdir(fork_dir) if not e.startswith("__")} - mounted
        base_entries = {e for e in os.listdir(base_dir) if not e.startswith("__")}
        assert not fork_entries & base_entries, f"fork and base both define {fork_entries & base_entries}"


def test_lazily_mounted_testing_package():
    code = (
        "import sys, tvm; assert 'tvm.testing' not in sys.modules; "
        "import tvm.testing, tvm.testing.plugin, tvmfork; "
        "print(tvm.testing.plugin.__file__.startswith(tvmfork.overlay_root()), "
        "hasattr(tvm.testing, 'uses_gpu'), tvm.testing.assert_allclose.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "tvm.testing.utils"]
