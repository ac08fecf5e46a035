"The benchmark's quick mode runs on a CPU, on a real CIFAR-10 subset, and writes every key it promises"
import json, subprocess, sys
import numpy as np
from pathlib import Path
import pytest

KEYS = ['device', 'torch', 'reference_epoch_s', 'raw_epoch_s', 'fastai_epoch_s', 'fastai_vs_raw_epoch_ratio', 'time_to_fit_s',
        'fit_epoch', 'speedup_vs_reference', 'final_test_acc']


@pytest.mark.slow
def test_quick_benchmark_on_cpu(cifar10_subset, tmp_path):
    out = tmp_path / 'bench.json'
    bench = Path(__file__).resolve().parent.parent / 'bench' / 'memorize.py'
    subprocess.run([sys.executable, str(bench), '--data', str(cifar10_subset), '--quick', '--device', 'cpu', '--out', str(out)],
                   check=True, capture_output=True, timeout=600)
    r = json.loads(out.read_text())
    assert all(r.get(k) is not None for k in KEYS), [k for k in KEYS if r.get(k) is None]
    assert r['final_train_acc'] == 1.0 and r['fit_epoch'] >= 1, 'random labels were memorized'
    assert r['final_test_acc'] < 0.25 and abs(r['corrupt_frac_realized'] - 0.9) < 0.05
    # the CUDA-graph loop's step (on a CPU run eagerly) is PyTorch's SGD + OneCycleLR: same batches, same losses
    assert r['raw_graph_captured'] is False and abs(r['raw_graph_last_epoch_loss'] - r['raw_last_epoch_loss']) < 1e-4


# `bench/graph_step.py`: the CUDA-graph training step, run eagerly here; the GPU run times it (bench/memorize.py)
from graph_step import GraphStep  # noqa: E402 (bench/ is on the path: conftest.py)


def test_graph_step_is_fastais_sgd_step(tmp_path):
    "Same batches, schedule, momentum and weight decay as fastai's loop with PyTorch's SGD: the same record"
    # (to rounding: the CPU's math libraries may sum in another order when tensors sit at other addresses)
    from randfit_fai.run import run
    kw = dict(corrupt=0.0, epochs=4, stop_at_fit=False, quiet=True, wd=5e-4, augment=True, out=tmp_path)
    a, b = run('digits', name='eager', **kw).history, run('digits', name='graph', cbs=GraphStep(), **kw).history
    assert np.allclose(b.train_loss, a.train_loss, rtol=1e-5, atol=0) and np.allclose(b.test_loss, a.test_loss, rtol=1e-5, atol=0)
    assert b.step.tolist() == a.step.tolist() and a.train_loss.iloc[-1] < a.train_loss.iloc[0] - 0.05, 'and it trains'
    off = run('digits', name='no-wd', cbs=GraphStep(), **{**kw, 'wd': 0.}).history
    assert not np.allclose(off.train_loss, a.train_loss, rtol=1e-5, atol=0), 'the comparison can tell a different step apart'



def test_graph_step_resumes_exactly(tmp_path, disconnect_after):
    "Its momentum buffers are the optimizer's state, so a checkpoint holds them"
    from randfit_fai.run import run
    DisconnectAfter, Disconnect = disconnect_after
    kw = dict(corrupt=1.0, epochs=4, stop_at_fit=False, quiet=True, out=tmp_path)
    whole = run('digits', name='whole', cbs=GraphStep(), **kw).history
    with pytest.raises(Disconnect): run('digits', name='cut', cbs=[GraphStep(), DisconnectAfter(2)], **kw)
    resumed = run('digits', name='cut', cbs=GraphStep(), resume=True, **kw)
    assert resumed.summary['resumed_at_epoch'] == 2 and np.allclose(resumed.history.train_loss, whole.train_loss, rtol=1e-5, atol=0)


def test_graph_step_refuses_what_it_cannot_replay():
    from functools import partial
    from fastai.vision.all import Learner, SGD
    from randfit_fai.data import RandData, digits
    from randfit_fai.models import create_model
    rd = RandData(digits())
    learn = Learner(rd.dataloaders(bs=64, device='cpu'), create_model('mlp-1x64', 10, (1, 8, 8)), opt_func=partial(SGD, mom=0.9), cbs=GraphStep())
    with pytest.raises(ValueError, match="PyTorch's SGD"), learn.no_bar(): learn.fit(1)
