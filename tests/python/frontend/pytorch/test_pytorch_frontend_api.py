"""The entry points' contract: names, parameters, input_infos, custom converters, errors."""
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tvm  # noqa: E402
from torch import nn  # noqa: E402
from tvm import relay  # noqa: E402

from pytorch_testing import build_and_run  # noqa: E402


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 5))

    def forward(self, x, scale):
        return self.head(torch.relu(self.bn(self.conv(x)))) * scale


def _small():
    torch.manual_seed(0)
    return Small().eval(), [torch.randn(2, 3, 6, 6), torch.randn(2, 5)]


def _traced(model, args):
    with torch.no_grad():
        return torch.jit.trace(model, tuple(args))


def test_names_and_params_follow_state_dict():
    model, args = _small()
    mod, params = relay.frontend.from_pytorch(
        _traced(model, args), [("data", (2, 3, 6, 6)), ("scale", ((2, 5), "float32"))])
    names = [p.name_hint for p in mod["main"].params]
    assert names[:2] == ["data", "scale"]
    state = model.state_dict()
    expected = {k for k in state if not k.endswith("num_batches_tracked")}
    assert set(params) == expected
    assert set(names[2:]) == expected
    for name, value in params.items():
        np.testing.assert_array_equal(value.numpy(), state[name].numpy())
    out = build_and_run(mod, params, {"data": args[0].numpy(), "scale": args[1].numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(out[0], model(*args).numpy(), rtol=1e-4, atol=1e-5)


def test_parser_friendly_names():
    model, args = _small()
    _, params = relay.frontend.from_pytorch(_traced(model, args),
                                            [("a", (2, 3, 6, 6)), ("b", (2, 5))],
                                            use_parser_friendly_name=True)
    assert "conv_weight" in params and "head_1_bias" in params
    assert not any("." in name for name in params)


def test_exported_program_default_and_given_names():
    model, args = _small()
    program = torch.export.export(model, tuple(args))
    mod, params = relay.frontend.from_exported_program(program)
    assert [p.name_hint for p in mod["main"].params][:2] == ["x", "scale"]
    assert "bn.running_mean" in params
    mod, _ = relay.frontend.from_exported_program(program, [("img", (2, 3, 6, 6)),
                                                            ("s", (2, 5))])
    assert [p.name_hint for p in mod["main"].params][:2] == ["img", "s"]
    with pytest.raises(ValueError, match="img"):
        relay.frontend.from_exported_program(program, [("img", (1, 3, 6, 6)), ("s", (2, 5))])


def test_shared_weights_are_one_parameter():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4)
            self.b = self.a

        def forward(self, x):
            return self.b(self.a(x))

    torch.manual_seed(0)
    model = Tied().eval()
    x = torch.randn(3, 4)
    mod, params = relay.frontend.from_pytorch(_traced(model, [x]), [("x", (3, 4))])
    assert len(params) == 2
    out = build_and_run(mod, params, {"x": x.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(out[0], model(x).numpy(), rtol=1e-4, atol=1e-5)


def test_int64_input_dtype_from_graph_and_override():
    emb = nn.Embedding(10, 3).eval()
    ids = torch.tensor([[1, 2, 9]])
    mod, _ = relay.frontend.from_pytorch(_traced(emb, [ids]), [("ids", (1, 3))])
    assert mod["main"].params[0].type_annotation.dtype == "int64"


class CellWithStates(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)

    def forward(self, x, states: tuple[torch.Tensor, torch.Tensor]):
        h, c = states
        c = torch.sigmoid(self.fc(x) + h) * c
        return torch.tanh(c) * 2, c


@pytest.mark.parametrize("script", [False, True], ids=["trace", "script"])
def test_tuple_input_gets_a_tuple_type(script):
    # as in 0.8: a Tuple[Tensor, Tensor] input is one Relay parameter of tuple type,
    # its input_infos shape a tuple of one shape per element
    torch.manual_seed(0)
    model = CellWithStates().eval()
    x, states = torch.randn(2, 3), (torch.randn(2, 4), torch.randn(2, 4))
    module = torch.jit.script(model) if script else torch.jit.trace(model, (x, states))
    mod, params = relay.frontend.from_pytorch(module, [("x", (2, 3)), ("states", ((2, 4), (2, 4)))])
    ty = mod["main"].params[1].type_annotation
    assert isinstance(ty, relay.TupleType) and [tuple(f.shape) for f in ty.fields] == [(2, 4), (2, 4)]
    run = relay.create_executor("debug", mod=mod).evaluate()
    got = run(x.numpy(), tuple(s.numpy() for s in states), **params)
    with torch.no_grad():
        want = model(x, states)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(TypeError, match=r"input 'states\[0\]': the shape must be a sequence of ints"):
        relay.frontend.from_pytorch(module, [("x", (2, 3)), ("states", (2, 4))])
    with pytest.raises(TypeError, match="tuple of 2: give one shape per element"):
        relay.frontend.from_pytorch(module, [("x", (2, 3)), ("states", ((2, 4),))])


def test_input_infos_errors():
    model, args = _small()
    traced = _traced(model, args)
    with pytest.raises(ValueError, match="takes 2 inputs"):
        relay.frontend.from_pytorch(traced, [("data", (2, 3, 6, 6))])
    with pytest.raises(ValueError, match="shape"):
        relay.frontend.from_pytorch(traced, [("data", (1, 3, 6, 6)), ("scale", (2, 5))])
    with pytest.raises(TypeError, match="input_infos"):
        relay.frontend.from_pytorch(traced, [("data", (2, 3, 6, 6)), "scale"])
    with pytest.raises(TypeError, match="torch.jit.trace"):
        relay.frontend.from_pytorch(model, [("data", (2, 3, 6, 6)), ("scale", (2, 5))])
    with pytest.raises(TypeError, match="ExportedProgram"):
        relay.frontend.from_exported_program(traced)


class Unsupported(nn.Module):
    def forward(self, x):
        y = torch.i0(x) + torch.erfinv(x.clamp(-0.5, 0.5))
        return torch.fft.fft(y).real + torch.relu(x)


@pytest.mark.parametrize("path", ["trace", "export"])
def test_unsupported_ops_reported_together(path):
    x = torch.randn(4, 4)
    if path == "trace":
        source = _traced(Unsupported(), [x])
        convert = lambda: relay.frontend.from_pytorch(source, [("x", (4, 4))])  # noqa: E731
    else:
        source = torch.export.export(Unsupported(), (x,))
        convert = lambda: relay.frontend.from_exported_program(source)  # noqa: E731
    with pytest.raises(tvm.error.OpNotImplemented) as info:
        convert()
    message = str(info.value)
    for name in ("aten::i0", "aten::erfinv", "aten::fft_fft"):
        assert name in message
    assert "aten::relu" not in message and "aten::clamp" not in message


def test_custom_convert_map():
    x = torch.randn(4, 4)
    source = _traced(Unsupported(), [x])
    calls = []

    def i0(inputs, input_types):  # a stand-in with another meaning, easy to check
        calls.append(input_types[0])
        return relay.cumsum(inputs[0], axis=0)

    def erfinv(inputs, input_types):  # a stand-in: any expression of the right type
        return relay.zeros_like(inputs[0])

    def fft(inputs, input_types):
        return inputs[0]

    def real(inputs, input_types):
        return inputs[0]

    mod, params = relay.frontend.from_pytorch(
        source, [("x", (4, 4))],
        custom_convert_map={"aten::i0": i0, "aten::erfinv": erfinv,
                            "aten::fft_fft": fft, "aten::real": real})
    assert calls == ["float32"]
    out = build_and_run(mod, params, {"x": x.numpy()})
    expected = np.cumsum(x.numpy(), 0) + np.maximum(x.numpy(), 0)
    np.testing.assert_allclose(out[0], expected, rtol=1e-5, atol=1e-6)


def test_supported_ops_lists_the_table():
    from tvm.relay.frontend.pytorch import supported_ops

    names = supported_ops()
    assert "aten::conv2d" in names and "aten::scaled_dot_product_attention" in names
    assert names == sorted(names)


def test_without_torch_clear_import_error():
    # torch made unimportable before tvm is imported: the frontend still imports, and
    # from_pytorch names the extra to install
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import tvm.relay.frontend as f\n"
        "try:\n"
        "    f.from_pytorch(None, [])\n"
        "except ImportError as e:\n"
        "    print('IMPORT-ERROR:', e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert 'pip install -e ".[torch]"' in result.stdout


class Scripted(nn.Module):
    """Scripting keeps torch's argument checks (prim::If, prim::RaiseException) and loops."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        y = torch.relu(self.bn(self.conv(x)))
        y = nn.functional.adaptive_avg_pool2d(y, 1).view(x.size(0), -1)
        for _ in range(2):
            y = y * 0.5 + 1.0
        return nn.functional.softmax(self.fc(y), dim=-1)


def test_scripted_module_with_static_control_flow():
    torch.manual_seed(0)
    model = Scripted().eval()
    x = torch.randn(2, 3, 8, 8)
    mod, params = relay.frontend.from_pytorch(torch.jit.script(model), [("x", (2, 3, 8, 8))])
    out = build_and_run(mod, params, {"x": x.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(out[0], model(x).numpy(), rtol=1e-4, atol=1e-5)


class DataDependent(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x


def test_scripted_data_dependent_branch_is_a_clear_error():
    with pytest.raises(tvm.error.OpNotImplemented, match="data-dependent control flow"):
        relay.frontend.from_pytorch(torch.jit.script(DataDependent()), [("x", (3,))])


def test_exported_dynamic_dimension_takes_the_given_size():
    class Scaled(nn.Module):
        def forward(self, x):
            return x.relu() * x.shape[0]

    program = torch.export.export(Scaled(), (torch.randn(4, 3),),
                                  dynamic_shapes={"x": {0: torch.export.Dim("batch")}})
    mod, params = relay.frontend.from_exported_program(program, [("x", (6, 3))])
    x = torch.randn(6, 3)
    out = build_and_run(mod, params, {"x": x.numpy()})
    np.testing.assert_allclose(out[0], (x.relu() * 6).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="input_infos gives shape"):
        relay.frontend.from_exported_program(program, [("x", (6, 4))])


def test_pytorch_utils_version_test():
    from tvm.relay.frontend.pytorch_utils import is_version_greater_than  # 0.8's module

    major, minor = (int(p) for p in torch.__version__.split(".")[:2])
    assert is_version_greater_than("1.5.1") is True  # torch 2.x here
    assert is_version_greater_than(f"{major}.{minor + 1}.0") is False
    assert is_version_greater_than(f"{major - 1}.99.99") is True
    with pytest.raises(ValueError, match="not a version number"):
        is_version_greater_than("latest")


class NonzeroForms(nn.Module):
    def forward(self, x):
        rows, cols = torch.nonzero(x, as_tuple=True)
        return torch.nonzero(x), rows, torch.where(x > 0.5)[1] + cols.sum()


def test_data_dependent_shapes_run_on_the_vm():
    # nonzero / where(condition): the number of results is known only at run time, so the
    # module has Any dimensions and runs on the Relay VM, as in 0.8
    x = torch.tensor([[0.0, 1.0, 0.0], [2.0, 0.0, 0.7], [0.2, 0.9, 0.0]])
    mod, params = relay.frontend.from_pytorch(torch.jit.trace(NonzeroForms(), (x,)), [("x", (3, 3))])
    assert relay.transform.InferType()(mod)["main"].checked_type.ret_type.fields[0].is_dynamic()
    got = relay.create_executor("vm", mod=mod, target="llvm").evaluate()(x.numpy(), **params)
    want = NonzeroForms()(x)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())
