"""nn.save / nn.load: exact round trips, saves that never leave a mix (concurrent, through
symlinks, interrupted), and every kind of bad file refused with ValueError."""

import json
import math
import os
import stat
import subprocess
import sys
import textwrap
import threading

import pytest

import nn.io
from nn import MLP, Layer, Neuron, load, save


@pytest.fixture
def model():
    m = MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=4)
    # awkward floats: a round trip must keep every bit
    m.layers[0].neurons[0].b.data = 0.1 + 0.2
    m.layers[1].neurons[1].b.data = -1e-300
    m.layers[1].neurons[0].w[2].data = 5e-324
    return m


@pytest.fixture
def path(tmp_path, model):
    p = tmp_path / "model.json"
    save(model, p)
    return p


def test_round_trip_is_exact(model, path):
    loaded = load(path)
    assert type(loaded) is MLP and loaded.config() == model.config()
    assert [(n, p.data) for n, p in loaded.named_parameters()] == [(n, p.data) for n, p in model.named_parameters()]
    assert loaded([0.3, -0.7])[1].data == model([0.3, -0.7])[1].data


@pytest.mark.parametrize("make", [lambda: Neuron(3, "leaky_relu", seed=0), lambda: Layer(2, 4, "tanh", seed=0)],
                         ids=["Neuron", "Layer"])
def test_round_trip_of_neurons_and_layers(tmp_path, make):
    original = make()
    save(original, tmp_path / "m.json")
    loaded = load(tmp_path / "m.json")
    assert repr(loaded) == repr(original)
    assert loaded.state_dict() == original.state_dict()


def test_file_is_readable_json(path):
    doc = json.loads(path.read_text())
    assert doc["format"] == "chainrule.nn" and doc["version"] == 1
    assert doc["model"] == {"type": "MLP", "nin": 2, "nouts": [3, 2], "activation": "tanh",
                            "output_activation": "sigmoid"}
    assert doc["parameters"]["layers.0.neurons.0.b"] == 0.1 + 0.2
    # "{", three header lines, '"parameters": {', one line per entry (10), " }", "}"
    assert len(path.read_text().splitlines()) == 1 + 3 + 1 + 10 + 2


def test_saving_a_non_finite_parameter_is_refused(tmp_path, model):
    model.layers[1].neurons[0].b.data = math.nan
    with pytest.raises(ValueError, match=r"parameter 'layers.1.neurons.0.b' is nan; model files hold finite"):
        save(model, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()


def test_save_refuses_other_objects(tmp_path):
    with pytest.raises(TypeError, match="model must be an nn.Neuron, nn.Layer or nn.MLP, got dict"):
        save({}, tmp_path / "m.json")


def edit(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def set_in(keys, value):
    def change(doc):
        target = doc
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


BAD_EDITS = {
    "wrong format": (set_in(["format"], "pickle"), "format must be 'chainrule.nn', got 'pickle'"),
    "future version": (set_in(["version"], 2), "version must be 1, got 2"),
    "version as bool": (set_in(["version"], True), "version must be 1, got True"),
    "extra top-level key": (set_in(["code"], "import os"), r"unexpected \['code'\]"),
    "unknown model type": (set_in(["model", "type"], "os.system"), r"model type must be one of \['Neuron', 'Layer', 'MLP'\], got 'os.system'"),
    "model not an object": (set_in(["model"], [1]), "model must be a JSON object with a .type. and the sizes, got an array"),
    "missing model key": (lambda d: d["model"].pop("activation"), r"missing \['activation'\]"),
    "unknown activation": (set_in(["model", "activation"], "swish"), "activation must be one of"),
    "activation not a string": (set_in(["model", "activation"], 3), "model 'activation' must be a string, got a number"),
    "nin as float": (set_in(["model", "nin"], 2.0), "model 'nin' must be a positive integer, got 2.0"),
    "nin zero": (set_in(["model", "nin"], 0), "model 'nin' must be a positive integer, got 0"),
    "nouts empty": (set_in(["model", "nouts"], []), "model 'nouts' must be a non-empty array"),
    "huge layer": (set_in(["model", "nouts"], [10**9, 2]), "the model described has 5000000002 parameters, the file holds 17"),
    "nin changed": (set_in(["model", "nin"], 3), "the model described has 20 parameters, the file holds 17"),
    "parameters not an object": (set_in(["parameters"], [1, 2]), "parameters must be a JSON object, got an array"),
    "missing entry": (lambda d: d["parameters"].pop("layers.1.neurons.0.b"), "the file holds 16"),
    "renamed entry": (lambda d: d["parameters"].__setitem__("layers.1.neurons.0.bias", d["parameters"].pop("layers.1.neurons.0.b")),
                      r"missing entries \['layers.1.neurons.0.b'\]; unexpected entries \['layers.1.neurons.0.bias'\]"),
    "weight as string": (set_in(["parameters", "layers.0.neurons.0.w"], [1.0, "2"]), "item 1 is str"),
    "weight as bool": (set_in(["parameters", "layers.0.neurons.0.w"], [1.0, True]), "item 1 is bool"),
    "bias as list": (set_in(["parameters", "layers.0.neurons.0.b"], [0.0]), "entry 'layers.0.neurons.0.b' expected a number, got a list of 1"),
    "shapes swapped": (lambda d: d["parameters"].update({"layers.0.neurons.0.w": [1.0], "layers.0.neurons.1.w": [1.0, 2.0, 3.0]}),
                       "'layers.0.neurons.0.w' expected a list of 2 numbers, got a list of 1"),
    "null weight": (set_in(["parameters", "layers.0.neurons.0.b"], None), "expected a number, got NoneType"),
    "type as a list": (set_in(["model", "type"], ["MLP"]), r"model type must be one of .*, got \['MLP'\]"),
    "model as a string": (set_in(["model"], "MLP"),
                          r"model must be a JSON object with a 'type' and the sizes, got a string"),
    "type as an object": (set_in(["model", "type"], {"MLP": 1}), r"model type must be one of .*, got \{'MLP': 1\}"),
    "401-digit weight": (set_in(["parameters", "layers.1.neurons.0.w"], [0.5, -1.0, 10**400]),
                         "'layers.1.neurons.0.w' holds a number too large for a float"),
    "401-digit bias": (set_in(["parameters", "layers.0.neurons.2.b"], -(10**400)),
                       "'layers.0.neurons.2.b' holds a number too large for a float"),
    "401-digit nin": (set_in(["model", "nin"], 10**400), "the file holds 17"),
}


@pytest.mark.parametrize("change, message", BAD_EDITS.values(), ids=BAD_EDITS.keys())
def test_edited_files_are_refused(path, change, message):
    edit(path, change)
    with pytest.raises(ValueError, match=message) as info:
        load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "not JSON"),
        ("not json at all", "not JSON"),
        ('{"format": "chainrule.nn", "version": 1, "model": {"type": "MLP"', "not JSON"),
        ("[1, 2, 3]", "the file must be a JSON object, got an array"),
        ('{"format": "chainrule.nn", "format": "chainrule.nn"}', r"duplicate keys \['format'\]"),
    ],
    ids=["empty", "prose", "truncated head", "array", "duplicate key"],
)
def test_non_model_text_is_refused(tmp_path, text, message):
    p = tmp_path / "m.json"
    p.write_text(text)
    with pytest.raises(ValueError, match=message):
        load(p)


def test_truncated_file_is_refused(path):
    text = path.read_text()
    for cut in (len(text) // 3, len(text) // 2, len(text) - 3):
        path.write_text(text[:cut])
        with pytest.raises(ValueError, match="not JSON"):
            load(path)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_refused(path, literal):
    text = path.read_text().replace('"layers.0.neurons.0.b": 0.30000000000000004', f'"layers.0.neurons.0.b": {literal}')
    assert literal in text
    path.write_text(text)
    with pytest.raises(ValueError, match=f"{literal} is not a JSON number"):
        load(path)


def test_numbers_too_large_for_a_float_are_refused(path):
    text = path.read_text().replace("0.30000000000000004", "1e999")
    path.write_text(text)
    with pytest.raises(ValueError, match="'layers.0.neurons.0.b' holds a number too large for a float"):
        load(path)


def test_binary_garbage_is_refused(tmp_path):
    p = tmp_path / "m.json"
    p.write_bytes(b"\x80\x04\x95pickle")
    with pytest.raises(ValueError, match="not UTF-8 text"):
        load(p)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.json")


def _refused_at_once(path, message, **options):
    """load(path) must raise ValueError(message) without blocking on the file; a load that
    blocks (opening a FIFO waits for a writer) is released and the test fails."""
    outcome = {}

    def read():
        try:
            load(path, **options)
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcome["error"] = error

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=30)
    if reader.is_alive():
        with open(path, "wb"):  # a writer: the blocked open returns, then reads nothing
            pass
        reader.join(timeout=30)
        pytest.fail(f"load({path}) blocked")
    with pytest.raises(ValueError, match=message):
        raise outcome.get("error", AssertionError("load did not refuse the file"))


def test_anything_but_a_regular_file_is_refused_before_reading(tmp_path):
    # The report: a FIFO blocked forever, a symlink to /dev/zero read until MemoryError.
    os.mkfifo(tmp_path / "fifo.json")
    _refused_at_once(tmp_path / "fifo.json", r"fifo\.json: not a valid model file: it is not a regular file "
                                             r"\(it is a FIFO\)")
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    _refused_at_once(tmp_path / "zero.json", r"zero\.json: not a valid model file: it is not a regular file "
                                             r"\(it is a character device\)")
    _refused_at_once(tmp_path, r"not a valid model file: it is not a regular file \(it is a directory\)")


def test_a_file_larger_than_the_cap_is_refused_before_reading(path, model):
    size = path.stat().st_size
    assert load(path, max_bytes=size).state_dict() == model.state_dict()
    _refused_at_once(path, rf"not a valid model file: it holds {size:,} bytes, more than max_bytes={size - 1:,}; "
                           rf"pass a larger max_bytes to load it", max_bytes=size - 1)
    with pytest.raises(ValueError, match="max_bytes must be an int of at least 1, got 0"):
        load(path, max_bytes=0)


def test_deeply_nested_json_is_refused_with_a_value_error(tmp_path):
    p = tmp_path / "m.json"
    p.write_text('{"format": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ValueError, match="nested too deeply") as info:
        load(p)
    assert str(p) in str(info.value)


def test_load_state_dict_checks_everything_before_changing_anything(model):
    before = model.state_dict()
    state = {name: ([v + 1.0 for v in value] if isinstance(value, list) else value + 1.0)
             for name, value in before.items()}
    state["layers.1.neurons.1.b"] = 10**400  # the last entry: every other one would be assigned first
    with pytest.raises(ValueError, match=r"entry 'layers.1.neurons.1.b' expected a number, got int too large for a float"):
        model.load_state_dict(state)
    assert model.state_dict() == before
    state["layers.1.neurons.1.b"] = 0.0
    state["layers.0.neurons.0.w"] = [1.0, -(10**400)]
    with pytest.raises(ValueError, match=r"'layers.0.neurons.0.w' expected 2 numbers, item 1 is int too large"):
        model.load_state_dict(state)
    assert model.state_dict() == before


# -- saving: all or nothing ----------------------------------------------------------------------
_WRITER = textwrap.dedent("""
    import sys
    import nn
    path, seed, times = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    model = nn.MLP(2, [16, 16, 1], seed=seed)  # 337 parameters: a few kB of text
    for _ in range(times):
        nn.save(model, path)
""")

_READER = textwrap.dedent("""
    import os, sys, time
    import nn
    path, seeds = sys.argv[1], [int(s) for s in sys.argv[2:]]
    expected = [nn.MLP(2, [16, 16, 1], seed=s).state_dict() for s in seeds]
    start = time.monotonic()
    while not os.path.exists(path + ".done") and time.monotonic() - start < 120:
        if nn.load(path).state_dict() not in expected:
            sys.exit("read a model no writer saved")
""")


def test_concurrent_saves_from_several_processes_never_leave_a_mix(tmp_path):
    path = tmp_path / "model.json"
    seeds = [11, 12, 13, 14]
    save(MLP(2, [16, 16, 1], seed=seeds[0]), path)
    reader = subprocess.Popen([sys.executable, "-c", _READER, str(path), *map(str, seeds)], stderr=subprocess.PIPE, text=True)
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(seed), "40"], stderr=subprocess.PIPE, text=True)
               for seed in seeds]
    errors = [w.communicate(timeout=300)[1] for w in writers]
    (path.parent / "model.json.done").touch()
    reader_error = reader.communicate(timeout=300)[1]
    assert [w.returncode for w in writers] == [0] * len(seeds), errors
    assert reader.returncode == 0, reader_error
    assert load(path).state_dict() in [MLP(2, [16, 16, 1], seed=s).state_dict() for s in seeds]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "model.json.done"]


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="needs POSIX symlinks")
def test_saving_through_a_symlink_writes_the_file_it_points_to(tmp_path, model):
    target = tmp_path / "real" / "model.json"
    target.parent.mkdir()
    save(Neuron(2, seed=0), target)
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    save(model, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load(target).state_dict() == model.state_dict()
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.json"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_saving_keeps_the_files_permissions(tmp_path, model):
    path = tmp_path / "model.json"
    save(model, path)
    path.chmod(0o600)
    save(Neuron(2, seed=0), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o640)
    save(model, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()], ids=["OSError", "KeyboardInterrupt"])
@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_a_failed_save_leaves_the_old_file_and_nothing_else(tmp_path, model, monkeypatch, failure, where):
    path = tmp_path / "model.json"
    save(Neuron(2, seed=0), path)
    before = path.read_bytes()

    def fail(*args):
        raise failure

    monkeypatch.setattr(nn.io.os, where, fail)
    with pytest.raises(type(failure)):
        save(model, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]
    save(model, path)  # and the next save works
    assert load(path).state_dict() == model.state_dict()


@pytest.mark.skipif(os.name != "posix", reason="fsync of a directory is POSIX")
def test_saving_flushes_the_file_and_its_directory_to_disk(tmp_path, model, monkeypatch):
    flushed = []
    real_fsync = os.fsync

    def record(fd):
        flushed.append("directory" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(nn.io.os, "fsync", record)
    save(model, tmp_path / "model.json")
    assert flushed == ["file", "directory"]


def test_saving_over_a_directory_or_into_a_missing_one_is_refused(tmp_path, model):
    (tmp_path / "taken").mkdir()
    with pytest.raises(IsADirectoryError, match="cannot save a model over a directory"):
        save(model, tmp_path / "taken")
    with pytest.raises(FileNotFoundError, match="the directory to save the model in does not exist"):
        save(model, tmp_path / "missing" / "model.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
