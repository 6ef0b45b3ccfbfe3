"""apps/tune_network.py rejects a bad target or model file in one line, before it
measures anything or writes a log."""
import os
import sys

import pytest

APPS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "apps")
sys.path.insert(0, os.path.abspath(APPS))
import tune_network  # noqa: E402  pylint: disable=wrong-import-position


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--target", "cuda"], "needs the device cuda"),
        (["--target", "llvm -mcpu=nonsense"], "-mcpu=nonsense is not a CPU that LLVM knows"),
        (["--target", "nonsense_target -foo=bar"], "nonsense_target"),
    ],
)
def test_bad_target_is_one_error_before_any_log(tmp_path, capsys, argv, message):
    log = tmp_path / "log.json"
    with pytest.raises(SystemExit) as info:
        tune_network.main(["--network", "mlp", "--trials", "4", "--log-file", str(log)] + argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--target" in err and message in err
    assert "Traceback" not in err and ": error: --target" in err.strip().splitlines()[-1]
    assert not log.exists()


def test_truncated_onnx_file_names_the_file(tmp_path, capsys):
    model = tmp_path / "cut.onnx"
    model.write_bytes(b"\x08\x07\x12\x04test\x3a\xff\x01")  # a graph field announcing 255 bytes
    with pytest.raises(SystemExit):
        tune_network.main(["--onnx", str(model), "--trials", "1", "--log-file", str(tmp_path / "l.json")])
    err = capsys.readouterr().err
    assert str(model) in err
    assert not (tmp_path / "l.json").exists()
