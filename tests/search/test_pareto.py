"""The Pareto front on hand-built points: dominance, ties, CSV round trip, the staircase."""
import csv
import io
import json

import torch

from lpgnas_pl import Architecture
from lpgnas_pl.search.pareto import Point, add_to_front, non_dominated, to_csv

ARCH = {"layers": [{"attention": "gat", "aggregation": "sum", "heads": 2, "hidden": 8, "activation": "elu"},
                   {"attention": "gcn", "aggregation": "mean", "heads": 1}], "quant": {"linear.weight": "fix1.3"}}


def point(epoch: int, acc: float, model: float, buffer: float) -> Point:
    return Point(epoch, acc, model, buffer, ARCH)


def test_front_drops_dominated_points_and_keeps_ties_once():
    points = [
        point(0, 0.80, 10, 100),
        point(1, 0.85, 20, 100),
        point(2, 0.80, 20, 100),  # dominated by 0 (smaller, as accurate) and 1 (as small, more accurate)
        point(3, 0.85, 20, 100),  # the same objectives as 1: kept once, as epoch 1
        point(4, 0.90, 30, 50),   # largest model, but the most accurate and the smallest buffer
        point(5, 0.70, 5, 200),   # least accurate, but the smallest model
        point(6, 0.70, 5, 300),   # dominated by 5 on buffer alone
    ]
    assert [p.epoch for p in non_dominated(points)] == [5, 0, 1, 4]  # smallest model first
    assert not points[1].dominates(points[3]) and not points[3].dominates(points[1])
    assert points[0].dominates(points[2]) and not points[2].dominates(points[0])
    assert non_dominated([]) == []


def test_csv_rows_round_trip_the_architecture():
    rows = list(csv.DictReader(io.StringIO(to_csv([point(3, 0.5, 1.25, 2.5)]))))
    assert rows[0]["epoch"] == "3" and float(rows[0]["model_kib"]) == 1.25 and float(rows[0]["val_acc"]) == 0.5
    assert rows[0]["summary"] == "gat/sum 2x8 elu | gcn/mean 1h"
    assert Architecture.from_dict(json.loads(rows[0]["architecture"])) == Architecture.from_dict(ARCH)


def test_staircase_is_the_front_of_accuracy_against_one_size():
    from lpgnas_pl.search.pareto import staircase

    points = [point(0, 0.80, 10, 100), point(1, 0.85, 20, 50), point(2, 0.70, 5, 300), point(3, 0.80, 30, 10),
              point(4, 0.60, 5, 400)]
    assert [p.epoch for p in staircase(points, "model_kib")] == [2, 0, 1]  # 3 is larger and less accurate than 1
    assert [p.epoch for p in staircase(points, "buffer_kib")] == [3, 1]


def test_the_front_built_point_by_point_equals_the_front_of_the_whole_history():
    """The callback's per-epoch front (add_to_front) against the pairwise definition of dominance."""
    generator = torch.Generator().manual_seed(0)
    values = torch.randint(0, 6, (300, 3), generator=generator).tolist()  # many ties and dominated points
    points = [point(i, acc / 5, model, buffer) for i, (acc, model, buffer) in enumerate(values)]
    front = []
    for p in points:
        add_to_front(front, p)
    by_definition = [p for p in points if not any(q.dominates(p) for q in points)
                     and all(q.epoch >= p.epoch for q in points if q.objectives == p.objectives)]
    assert sorted(front, key=lambda p: p.epoch) == by_definition
