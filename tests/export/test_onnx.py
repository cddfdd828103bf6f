"""ONNX export (issue 22): onnxruntime runs the graph on other graphs' x and edge_index and matches PyTorch."""
import numpy as np
import pytest
import torch

from lpgnas_pl import GraphDataModule, SyntheticGraph
from lpgnas_pl.export import export_network, load_exported
from lpgnas_pl.export.onnx import export_onnx
from tests.export.test_export import trained

ort = pytest.importorskip("onnxruntime", reason="the export extra is not installed: pip install -e \".[export]\"")
pytest.importorskip("onnxscript", reason="the export extra is not installed: pip install -e \".[export]\"")


@pytest.mark.parametrize("weight,activation", [("int4", "int8"), ("fix2.6", "fix4.4"), ("ternary", "float32")])
def test_onnxruntime_gives_the_pytorch_logits_on_graphs_of_any_size(tmp_path, weight, activation):
    net, architecture, data = trained(weight, activation)
    export_network(net, architecture, 10, 3, tmp_path / "net.lpq")
    exported = load_exported(tmp_path / "net.lpq")
    session = ort.InferenceSession(str(export_onnx(exported, tmp_path / "net.onnx")))
    assert [i.name for i in session.get_inputs()] == ["x", "edge_index"]
    other = GraphDataModule(SyntheticGraph(num_nodes=90, num_classes=3, num_features=10, seed=3), split="random").data
    with_loops = torch.cat([other.edge_index, torch.arange(5).repeat(2, 1)], 1)  # self-loops are handled inside
    for x, edge_index in ((data.x, data.edge_index), (other.x, with_loops)):
        with torch.no_grad():
            expected = exported(x, edge_index).numpy()
        logits = session.run(None, {"x": x.numpy(), "edge_index": edge_index.numpy()})[0]
        np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)


def test_lpgnas_export_format_onnx_writes_a_graph_with_the_checkpoints_logits(tmp_path, capsys):
    from lpgnas_pl.cli import main
    from tests.test_checkpoint_compat import FIXTURES, graph
    main(["export", "--ckpt_path", str(FIXTURES / "fixed_v0.ckpt"), "--output", str(tmp_path / "net.onnx"),
          "--format", "onnx"])
    assert "ONNX opset 18" in capsys.readouterr().out
    data = graph()
    logits = ort.InferenceSession(str(tmp_path / "net.onnx")).run(None, {"x": data.x.numpy(),
                                                                         "edge_index": data.edge_index.numpy()})[0]
    np.testing.assert_allclose(logits, torch.load(FIXTURES / "logits_v0.pt")["fixed"].numpy(), rtol=1e-5, atol=1e-5)
