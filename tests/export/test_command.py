"""``lpgnas export``: a FixedGNN checkpoint to a file that reloads to its logits; bad input in one line."""
import torch

from lpgnas_pl import FixedGNN
from lpgnas_pl.cli import main
from lpgnas_pl.export import load_exported
from tests.cli_helpers import fails, files
from tests.test_checkpoint_compat import FIXTURES, graph


def test_export_writes_the_checkpoint_at_its_bits_and_says_both_sizes(tmp_path, capsys):
    main(["export", "--ckpt_path", str(FIXTURES / "fixed_v0.ckpt"), "--output", str(tmp_path / "net.lpq")])
    printed = capsys.readouterr().out
    # by hand: a 2 x 8 GAT block on 16 features, W and b at fix2.6 (8 bits): (16 + 1) * 16 bytes; its
    # two attention vectors float32: 2 * 16 * 4 bytes; a 1-head GCN block to 3 classes: (16 + 1) * 3 bytes
    model_bytes = (16 + 1) * 16 + 2 * 16 * 4 + (16 + 1) * 3
    assert f"model size (cost model): 0.44 KiB ({model_bytes} bytes); {tmp_path / 'net.lpq'}: " in printed
    file_bytes = (tmp_path / "net.lpq").stat().st_size
    assert f"{file_bytes} bytes" in printed and model_bytes <= file_bytes <= model_bytes + 4096
    data = graph()
    checkpoint = FixedGNN.load_from_checkpoint(FIXTURES / "fixed_v0.ckpt", map_location="cpu").eval()
    with torch.no_grad():
        logits = load_exported(tmp_path / "net.lpq")(data.x, data.edge_index)
        assert torch.equal(logits, checkpoint(data.x, data.edge_index))


def test_export_refuses_a_search_checkpoint_and_a_missing_file_and_writes_nothing(tmp_path, capsys):
    line = fails(["export", "--ckpt_path", str(FIXTURES / "search_v0.ckpt"), "--output", str(tmp_path / "s.lpq")], capsys)
    assert "is not allowed with model lpgnas_pl.FixedGNN; allowed: a checkpoint saved by lpgnas_pl.FixedGNN" in line
    line = fails(["export", "--ckpt_path", str(tmp_path / "none.ckpt")], capsys)
    assert line.endswith("is not a file; allowed: a checkpoint saved by lpgnas_pl.FixedGNN")
    line = fails(["export", "--ckpt_path", str(FIXTURES / "fixed_v0.ckpt"), "--format", "tflite"], capsys)
    assert "tflite" in line and "lpq" in line and "onnx" in line
    assert files(tmp_path) == set()
