"""The torch helpers shared by the neural models (``synthohive.nn``); needs the torch extra."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from synthohive.errors import (
    DeviceError,
    IncompatibleArtifactError,
    TrainingDivergedError,
)
from synthohive.nn import (
    ConditionIndex,
    SpanLayout,
    TrainingMonitor,
    apply_activations,
    calibrate_logit_bias,
    check_finite,
    column_score,
    discrete_cross_entropy,
    effective_batch,
    load_numpy_into,
    modules_to_numpy,
    reconstruction_loss,
    resolve_device,
    sample_one_hots_t,
    score_noise,
    seeded,
    validation_score,
)
from synthohive.transform import SpanInfo

INFO = [
    SpanInfo("a", "continuous", 0, 1, "tanh", "value"),
    SpanInfo("a", "continuous", 1, 3, "softmax", "mode"),
    SpanInfo("b", "discrete", 4, 2, "softmax", "category"),
    SpanInfo("c", "discrete", 6, 3, "softmax", "category"),
    SpanInfo("d", "continuous", 9, 1, "tanh", "value"),
]


def test_resolve_device() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    bad = "cuda:99" if torch.cuda.is_available() else "cuda:1"
    with pytest.raises(DeviceError, match=bad):
        resolve_device(bad)
    with pytest.raises(DeviceError, match="unknown device 'tpu'"):
        resolve_device("tpu")


def test_seeded_is_deterministic_and_restores_global_rng() -> None:
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    with seeded(7, torch.device("cpu")) as gen:
        a = torch.rand(4, generator=gen), torch.rand(4)
    with seeded(7, torch.device("cpu")) as gen:
        b = torch.rand(4, generator=gen), torch.rand(4)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert torch.equal(torch.rand(3), expected_next)  # the caller's stream is untouched


def test_layout_groups_spans_by_width_and_activations_respect_spans() -> None:
    layout = SpanLayout.from_output_info(INFO)
    assert layout.width == 10
    assert layout.scalar_idx.tolist() == [0, 9]
    assert [g.tolist() for g in layout.groups] == [[[4, 5]], [[1, 2, 3], [6, 7, 8]]]
    raw = torch.randn(64, 10, generator=torch.Generator().manual_seed(0)) * 3
    soft = apply_activations(raw, layout, mode="softmax")
    assert torch.allclose(soft[:, 0], torch.tanh(raw[:, 0]))
    for s, d in [(1, 3), (4, 2), (6, 3)]:
        assert torch.allclose(soft[:, s : s + d].sum(1), torch.ones(64))
        expected = torch.softmax(raw[:, s : s + d], 1)
        assert torch.allclose(soft[:, s : s + d], expected, atol=1e-6)
    hard = apply_activations(raw, layout, mode="sample", gen=torch.Generator().manual_seed(1))
    for s, d in [(1, 3), (4, 2), (6, 3)]:
        block = hard[:, s : s + d]
        assert set(block.unique().tolist()) <= {0.0, 1.0} and (block.sum(1) == 1).all()
    g1 = apply_activations(raw, layout, gen=torch.Generator().manual_seed(5))
    g2 = apply_activations(raw, layout, gen=torch.Generator().manual_seed(5))
    assert torch.equal(g1, g2)
    with pytest.raises(ValueError, match="tile"):
        SpanLayout.from_output_info(INFO[:2] + INFO[3:])


def test_sampled_one_hots_follow_the_softmax() -> None:
    layout = SpanLayout.from_output_info([SpanInfo("k", "discrete", 0, 3, "softmax")])
    logits = torch.log(torch.tensor([[0.2, 0.5, 0.3]])).expand(20000, 3)
    out = apply_activations(logits, layout, mode="sample", gen=torch.Generator().manual_seed(0))
    freq = out.mean(0).numpy()
    assert np.allclose(freq, [0.2, 0.5, 0.3], atol=0.02)


def test_span_major_sampling_follows_the_softmax_for_narrow_and_wide_spans() -> None:
    """Both branches of ``sample_one_hots_t`` (running sum up to 64 categories, row-major
    softmax above) draw exact one-hots at the softmax's frequencies, row by row."""
    info = [
        SpanInfo("x", "continuous", 0, 1, "tanh", "value"),
        SpanInfo("k", "discrete", 1, 3, "softmax", "category"),
        SpanInfo("w", "discrete", 4, 100, "softmax", "category"),
    ]
    layout = SpanLayout.from_output_info(info)
    gen = torch.Generator().manual_seed(0)
    base = torch.randn(2, 104, generator=gen) * 2  # two distinct rows, each repeated
    raw = base.repeat_interleave(20000, dim=0)
    out_t = sample_one_hots_t(raw.t().contiguous(), layout, gen)
    assert out_t.shape == (104, 40000)
    assert torch.allclose(out_t[0], torch.tanh(raw[:, 0]))
    for start, dim in [(1, 3), (4, 100)]:
        block = out_t[start : start + dim]
        assert set(block.unique().tolist()) == {0.0, 1.0} and (block.sum(0) == 1).all()
        for r in range(2):
            freq = block[:, r * 20000 : (r + 1) * 20000].mean(1)
            expected = torch.softmax(base[r, start : start + dim], 0)
            assert (freq - expected).abs().max() < 0.015


def test_losses_match_a_per_span_loop() -> None:
    layout = SpanLayout.from_output_info(INFO)
    gen = torch.Generator().manual_seed(3)
    raw = torch.randn(32, 10, generator=gen)
    target = apply_activations(torch.randn(32, 10, generator=gen), layout, mode="sample", gen=gen)
    sigma = torch.rand(10, generator=gen) * 0.5 + 0.1
    ce = torch.zeros(32)
    for s, d in [(1, 3), (4, 2), (6, 3)]:
        labels = target[:, s : s + d].argmax(1)
        ce += torch.nn.functional.cross_entropy(raw[:, s : s + d], labels, reduction="none")
    assert torch.allclose(discrete_cross_entropy(raw, target, layout), ce, atol=1e-5)
    gauss = sum(
        ((target[:, j] - torch.tanh(raw[:, j])) ** 2 / (2 * sigma[j] ** 2)).sum()
        + 32 * torch.log(sigma[j])
        for j in (0, 9)
    )
    expected = (ce.sum() + gauss) / 32
    assert torch.allclose(reconstruction_loss(raw, target, sigma, layout), expected, atol=1e-4)


def test_weights_round_trip_and_shape_checks() -> None:
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    arrays = modules_to_numpy({"net": net})
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    other = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    load_numpy_into({"net": other}, arrays, model="m")
    for k, v in other.state_dict().items():
        assert torch.equal(v, net.state_dict()[k])
    bad = dict(arrays)
    bad["net.0.weight"] = np.zeros((5, 3), np.float32)
    with pytest.raises(IncompatibleArtifactError, match=r"net\.0\.weight.*\(5, 3\).*\(4, 3\)"):
        load_numpy_into({"net": other}, bad, model="m")
    missing = {k: v for k, v in arrays.items() if k != "net.0.bias"}
    with pytest.raises(IncompatibleArtifactError, match=r"lack tensor 'net\.0\.bias'"):
        load_numpy_into({"net": other}, missing, model="m")
    with pytest.raises(IncompatibleArtifactError, match="unexpected"):
        load_numpy_into({"net": other}, {**arrays, "net.9.w": np.zeros(1)}, model="m")
    nan = {**arrays, "net.0.bias": np.full(4, np.nan, np.float32)}
    with pytest.raises(IncompatibleArtifactError, match="non-finite"):
        load_numpy_into({"net": other}, nan, model="m")


def test_monitor_keeps_best_epoch_stops_early_and_calls_back() -> None:
    net = torch.nn.Linear(1, 1, bias=False)
    seen: list[tuple[int, dict[str, float]]] = []
    mon = TrainingMonitor(
        model="m",
        table="t",
        epochs=10,
        modules={"net": net},
        patience=2,
        callbacks=[lambda e, m: seen.append((e, m))],
        progress=False,
    )
    stops = []
    for epoch, score in enumerate([0.5, 0.7, 0.6, 0.65, 0.9]):
        with torch.no_grad():
            net.weight.fill_(float(epoch))
        stops.append(mon.end_epoch(epoch, {"loss": 1.0 / (epoch + 1)}, score))
        if stops[-1]:
            break
    assert stops == [False, False, False, True]
    mon.finish()
    assert mon.best_epoch == 1 and float(net.weight.detach()) == 1.0
    assert [e for e, _ in seen] == [0, 1, 2, 3]
    assert seen[1][1]["val_score"] == 0.7 and seen[1][1]["loss"] == 0.5


def test_check_finite_names_epoch_and_step() -> None:
    check_finite(torch.tensor(1.0), name="loss", epoch=0, step=0, table="t")
    with pytest.raises(TrainingDivergedError, match="loss became inf at epoch 3, step 17"):
        check_finite(torch.tensor(float("inf")), name="loss", epoch=3, step=17, table="t")


def test_validation_score_separates_similar_from_different() -> None:
    layout = SpanLayout.from_output_info(INFO)
    gen = torch.Generator().manual_seed(0)
    a = apply_activations(torch.randn(2000, 10, generator=gen), layout, mode="sample", gen=gen)
    b = apply_activations(torch.randn(2000, 10, generator=gen), layout, mode="sample", gen=gen)
    far = b.clone()
    far[:, [0, 9]] = far[:, [0, 9]] * 0.1 + 0.8
    far[:, 4:6] = torch.tensor([1.0, 0.0])
    same = validation_score(a.numpy(), a.numpy(), INFO)
    close = validation_score(a.numpy(), b.numpy(), INFO)
    off = validation_score(a.numpy(), far.numpy(), INFO)
    assert same == 1.0 and 0.9 < close < 1.0 and off < close - 0.2


def test_validation_score_drops_when_the_dependence_between_columns_is_lost() -> None:
    """Shuffling one column keeps every marginal but breaks its correlation with the rest."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=4000)
    real = np.stack([np.tanh(x), np.tanh(x + 0.1 * rng.normal(size=4000))], axis=1)
    info = [SpanInfo("a", "continuous", 0, 1, "tanh"), SpanInfo("b", "continuous", 1, 1, "tanh")]
    kept = real[rng.permutation(4000)]
    broken = kept.copy()
    broken[:, 1] = broken[rng.permutation(4000), 1]
    assert validation_score(real, kept, info) > 0.99
    assert validation_score(real, broken, info) < validation_score(real, kept, info) - 0.2


def _rows(n: int, seed: int, shuffle: bool = False) -> np.ndarray:
    """Column values of a table with dependence: y follows x, the category follows x, and a
    spend column has a 40% point mass at zero. ``shuffle`` breaks every pair, keeps marginals."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 2 * x + 0.3 * rng.normal(size=n)
    cat = (x > 0).astype(float) + (rng.random(n) < 0.2)
    spend = np.where(x + rng.normal(size=n) < -0.25, 0.0, np.exp(x))
    out = np.column_stack([x, y, cat, spend])
    if shuffle:
        out = np.column_stack([rng.permutation(col) for col in out.T])
    return out


CONT = [True, True, False, True]


def test_column_score_ranks_trained_rows_far_above_shuffled_pairs() -> None:
    real = _rows(500, 0)
    trained = [column_score(real, _rows(2000, s), CONT) for s in range(1, 9)]
    shuffled = [column_score(real, _rows(2000, s, shuffle=True), CONT) for s in range(1, 9)]
    assert min(trained) > 0.95
    # the gap is many times the score's own spread and the default restore margin (0.01)
    assert min(trained) - max(shuffled) > 0.05
    assert np.std(trained) < 0.01
    assert column_score(real, real, CONT) == 1.0


def _monitor_run(scores_and_weights: list[tuple[float, float]]) -> tuple[TrainingMonitor, float]:
    net = torch.nn.Linear(1, 1, bias=False)
    mon = TrainingMonitor(model="m", table="t", epochs=len(scores_and_weights),
                          modules={"net": net}, progress=False)  # fmt: skip
    for epoch, (score, weight) in enumerate(scores_and_weights):
        with torch.no_grad():
            net.weight.fill_(weight)
        mon.end_epoch(epoch, {"loss": 0.0}, score)
    mon.finish()
    return mon, float(net.weight.detach())


@pytest.mark.parametrize("seed", range(10))
def test_a_shuffled_pairs_epoch_is_never_kept_over_a_trained_one(seed: int) -> None:
    """Trained (weight 1) and shuffled-pairs (weight 0) epochs in both orders, scored with the
    real score and its real noise: the trained weights are the ones kept every time."""
    real = _rows(400, 100 + seed)
    good = column_score(real, _rows(2000, 200 + seed), CONT)
    bad = column_score(real, _rows(2000, 300 + seed, shuffle=True), CONT)
    mon, weight = _monitor_run([(bad, 0.0), (good, 1.0)])
    assert weight == 1.0 and mon.best_epoch == 1
    mon, weight = _monitor_run([(good, 1.0), (bad, 0.0)])
    assert weight == 1.0 and mon.best_epoch == 0


def test_an_earlier_epoch_within_the_noise_does_not_replace_the_last() -> None:
    """Two trained epochs whose scores differ by less than the margin: the last one stays."""
    mon, weight = _monitor_run([(0.900, 0.0), (0.938, 1.0), (0.930, 2.0), (0.934, 3.0)])
    assert weight == 3.0 and mon.best_epoch == 3 and mon.best_score == 0.934
    mon, weight = _monitor_run([(0.900, 0.0), (0.960, 1.0), (0.934, 2.0)])
    assert weight == 1.0 and mon.best_epoch == 1


def test_score_noise_follows_the_held_out_rows_and_sets_the_margin() -> None:
    fake = _rows(2000, 1)
    small = score_noise(_rows(30, 0), fake, CONT, seed=0)
    large = score_noise(_rows(1000, 0), fake, CONT, seed=0)
    assert small > 2 * large and large < 0.01
    mon = TrainingMonitor(model="m", table="t", epochs=2, modules={}, progress=False)
    assert mon.margin == 0.01
    mon.set_score_noise(large)
    assert mon.margin == max(0.01, 2 * np.sqrt(2) * large)
    mon.set_score_noise(small)
    assert mon.margin == pytest.approx(2 * np.sqrt(2) * small) and mon.margin > 0.02


def test_a_deferred_noise_is_measured_only_when_it_can_change_the_decision() -> None:
    """The bootstrap runs at ``finish`` only for an earlier epoch ahead by more than
    ``restore_margin``; its noise then sets the margin as if measured up front."""
    calls: list[int] = []

    def measure(sd: float) -> Callable[[], float]:
        def run() -> float:
            calls.append(1)
            return sd

        return run

    for scores, sd, ran, kept in [
        ([0.90, 0.93, 0.925], 0.02, False, 2),  # ahead by 0.005 < 0.01: never measured
        ([0.90, 0.95, 0.93], 0.002, True, 1),  # ahead by 0.02, noise margin 0.0057: restored
        ([0.90, 0.95, 0.93], 0.02, True, 2),  # ahead by 0.02, noise margin 0.057: kept last
    ]:
        calls.clear()
        mon = TrainingMonitor(model="m", table="t", epochs=3, modules={}, progress=False)
        mon.defer_score_noise(measure(sd))
        mon.defer_score_noise(measure(1.0))  # only the first one handed over is kept
        for epoch, score in enumerate(scores):
            mon.end_epoch(epoch, {"loss": 0.0}, score)
        mon.finish()
        assert bool(calls) == ran and len(calls) <= 1 and mon.best_epoch == kept
        assert mon.score_noise == (sd if ran else None)


class _Clock:
    """A fake clock the test advances: 10 ms per training epoch, 50 ms per evaluation."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("budget", [None, 0.1])
def test_evaluation_is_stretched_to_stay_within_its_time_budget(budget: float | None) -> None:
    clock = _Clock()
    mon = TrainingMonitor(model="m", table="t", epochs=200, modules={}, eval_every=1,
                          progress=False, eval_budget=budget, clock=clock)  # fmt: skip
    evaluated = []
    for epoch in range(200):
        clock.now += 0.010  # the epoch's training steps
        score = None
        if mon.should_evaluate(epoch):
            clock.now += 0.050  # generating and scoring rows
            score = 0.5
            evaluated.append(epoch)
        mon.end_epoch(epoch, {"loss": 0.0}, score)
    assert evaluated[-1] == 199  # the last epoch is always scored
    if budget is None:
        assert len(evaluated) == 200
    else:
        assert evaluated[:2] == [0, 50]  # measured after the first: 50 ms / (10% of 10 ms)
        assert len(evaluated) * 0.050 <= 0.1 * 200 * 0.010 + 2 * 0.050  # + first and last


def test_condition_cross_entropy_equals_the_full_one_hot_loss() -> None:
    """The one-span gather form gives the same per-row loss as the loss over every span."""
    layout = SpanLayout.from_output_info(INFO)
    spans = [(4, 2), (6, 3)]  # the discrete spans of INFO, in conditional-vector order
    index = ConditionIndex.from_spans(spans)
    gen = torch.Generator().manual_seed(4)
    raw = torch.randn(64, 10, generator=gen, requires_grad=True)
    slots = torch.randint(0, 5, (64,), generator=gen)
    target = torch.zeros(64, 10)
    target[torch.arange(64), index.pos[slots]] = 1.0
    fast = index.cross_entropy(raw, slots)
    full = discrete_cross_entropy(raw, target, layout)
    assert torch.allclose(fast, full, atol=1e-5)
    (g_fast,) = torch.autograd.grad(fast.sum(), raw)
    (g_full,) = torch.autograd.grad(full.sum(), raw)
    assert torch.allclose(g_fast, g_full, atol=1e-5)


def test_effective_batch() -> None:
    assert effective_batch(1000, 500, multiple=10, model="m", table="t") == (500, 10)
    assert effective_batch(300, 1000, multiple=7, model="m", table="t") == (294, 7)
    assert effective_batch(12, 8, multiple=10, model="m", table="t") == (8, 8)
    assert effective_batch(503, 501, multiple=10, model="m", table="t") == (500, 10)


def test_calibration_matches_target_frequencies() -> None:
    info = [SpanInfo("k", "discrete", 0, 3, "softmax"), SpanInfo("x", "continuous", 3, 1, "tanh")]
    layout = SpanLayout.from_output_info(info)
    target = np.array([0.7, 0.25, 0.05])
    rng = np.random.default_rng(0)
    real = np.zeros((5000, 4), np.float32)
    real[np.arange(5000), rng.choice(3, 5000, p=target)] = 1
    base = torch.tensor([0.0, 1.0, 2.0, 0.3])  # a badly trained "generator"

    def sample(bias: np.ndarray) -> np.ndarray:
        raw = (base + torch.from_numpy(bias)).expand(5000, 4)
        out = apply_activations(raw, layout, mode="sample", gen=torch.Generator().manual_seed(1))
        return out.numpy()

    bias = calibrate_logit_bias(sample, real, info)
    assert bias[3] == 0.0
    freq = sample(bias)[:, :3].mean(0)
    assert np.abs(freq - real[:, :3].mean(0)).max() < 0.02
